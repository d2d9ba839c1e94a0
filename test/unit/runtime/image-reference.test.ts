import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../src/errors.js";
import { type ImageReference, parseImageReference } from "../../../src/runtime/index.js";

const hex64 = "0123456789abcdef".repeat(4);

/** A test title for a reference: long ones shortened to their start and length. */
const title = (ref: string) => (ref.length > 40 ? `${ref.slice(0, 24)}... (${ref.length} characters)` : ref);

function refusal(ref: string, options?: Parameters<typeof parseImageReference>[1]): InvalidArgumentError {
  try {
    parseImageReference(ref, options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error(`parseImageReference accepted ${JSON.stringify(ref)}`);
}

describe("parseImageReference: what Docker and Podman accept", () => {
  const accepted: [string, Partial<ImageReference>][] = [
    ["busybox", { path: "busybox" }],
    ["library/busybox:1.36", { path: "library/busybox", tag: "1.36" }],
    ["localhost/x", { domain: "localhost", path: "x" }],
    ["localhost:5000/a/b:c", { domain: "localhost:5000", path: "a/b", tag: "c" }],
    [
      "registry.example.com/team/agent:v1.2-rc_3",
      { domain: "registry.example.com", path: "team/agent", tag: "v1.2-rc_3" },
    ],
    [`name@sha256:${hex64}`, { path: "name", digest: `sha256:${hex64}` }],
    [`name:tag@sha256:${hex64}`, { path: "name", tag: "tag", digest: `sha256:${hex64}` }],
    [`name@sha512:${hex64.repeat(2)}`, { path: "name", digest: `sha512:${hex64.repeat(2)}` }],
    // `host:5000` alone is the name `host` with the tag `5000`; a registry needs a path after it.
    ["host:5000", { path: "host", tag: "5000" }],
    // A first part without '.' or ':' that is not localhost is part of the path, not a registry.
    ["my-host/agent", { path: "my-host/agent" }],
    ["Registry.Example.com:443/agent", { domain: "Registry.Example.com:443", path: "agent" }],
    ["a__b/c--d/e.f_g", { path: "a__b/c--d/e.f_g" }],
    // Tags may start with '_' and hold upper case; only names must be lower case.
    ["agent:_Build-7", { path: "agent", tag: "_Build-7" }],
    [`agent:${"t".repeat(128)}`, { path: "agent", tag: "t".repeat(128) }],
    // Docker counts a name with the registry it puts in front: docker.io/library/ + 237 = 255.
    ["z".repeat(237), { path: "z".repeat(237) }],
    [`example.com/${"z".repeat(243)}`, { domain: "example.com", path: "z".repeat(243) }],
  ];
  it.each(accepted.map(([ref, parts]) => [title(ref), ref, parts] as const))("%s", (_title, ref, parts) => {
    expect(parseImageReference(ref)).toEqual({
      domain: undefined,
      tag: undefined,
      digest: undefined,
      ...parts,
    });
  });

  it("takes a 64-hex name that is not to be created (an image id is looked up as one)", () => {
    expect(parseImageReference(hex64).path).toBe(hex64);
  });
});

describe("parseImageReference: what the engines refuse, named by field", () => {
  const refused: [string, { tagOnly?: boolean }, RegExp][] = [
    ["", {}, /it is empty/],
    ["Upper/case", {}, /must be lower case/],
    ["team/Agent:1", {}, /must be lower case/],
    ["LOCALHOST/agent", {}, /must be lower case/],
    ["busybox:", {}, /the tag after ':' is empty/],
    ["a//b", {}, /empty path component/],
    ["/agent", {}, /empty path component/],
    ["agent/", {}, /empty path component/],
    [`agent:${"t".repeat(129)}`, {}, /at most 128 characters/],
    ["busy box:1", {}, /whitespace/],
    ["agent:1 ", {}, /whitespace/],
    ["-leading", {}, /not a valid image reference/],
    ["agent_", {}, /not a valid image reference/],
    ["a___b", {}, /not a valid image reference/],
    ["agent:.1", {}, /not a valid image reference/],
    ["agent:1:2", {}, /not a valid image reference/],
    ["my_host:5000/agent", {}, /not a valid image reference/],
    ["[::1]:5000/agent", {}, /not a valid image reference/],
    [`name@sha256:${hex64}`, { tagOnly: true }, /a digest cannot be given here/],
    [`name@sha256:${hex64.slice(0, 32)}`, {}, /sha256 digest is 64 lower-case hex digits/],
    [`name@sha256:${hex64.toUpperCase()}`, {}, /sha256 digest is 64 lower-case hex digits/],
    [`name@md5:${hex64.slice(0, 32)}`, {}, /sha256, sha384 or sha512/],
    [hex64, { tagOnly: true }, /reads as an image id/],
    ["z".repeat(238), {}, /longer than 255 characters/],
    [`docker.io/${"z".repeat(245)}`, {}, /longer than 255 characters/],
    [`zz/${"z".repeat(243)}`, {}, /longer than 255 characters/],
  ];
  it.each(refused.map(([ref, options, why]) => [title(ref), ref, options, why] as const))(
    "%s",
    (_title, ref, options, why) => {
      const error = refusal(ref, { ...options, field: "target" });
      expect(error.field).toBe("target");
      expect(error.message).toMatch(why);
      expect(error.message).toContain(`invalid target ${JSON.stringify(ref)}`);
    },
  );

  it("names `ref` when no field is given", () => {
    expect(refusal("Nope").field).toBe("ref");
  });

  it("refuses something that is not a string, saying so", () => {
    const error = refusal(42 as unknown as string, { field: "image" });
    expect(error).toMatchObject({ field: "image", message: expect.stringMatching(/is not a string/) });
  });
});

// Pieces of the grammar, so a reference made of them is valid by construction.
const lowerAlnum = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const component = fc
  .tuple(
    lowerAlnum,
    fc.array(fc.tuple(fc.constantFrom(".", "_", "__", "-", "--"), lowerAlnum), { maxLength: 2 }),
  )
  .map(([head, rest]) => head + rest.map(([separator, part]) => separator + part).join(""));
const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,4}[a-zA-Z0-9])?$/);
// A registry is told from a path by a '.', a ':' port or the name localhost.
const domain = fc.oneof(
  fc.constant("localhost"),
  fc
    .tuple(fc.constant("localhost"), fc.integer({ min: 1, max: 65535 }))
    .map(([host, port]) => `${host}:${port}`),
  fc
    .tuple(fc.array(label, { minLength: 2, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65535 })))
    .map(([labels, port]) => labels.join(".") + (port === null ? "" : `:${port}`)),
);
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);
const parts = fc
  .record({
    domain: fc.option(domain, { nil: undefined }),
    path: fc.array(component, { minLength: 1, maxLength: 3 }).map((components) => components.join("/")),
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(digest, { nil: undefined }),
  })
  // Without a registry, a first part holding '.' or named localhost would be read as one.
  .filter((p) => p.domain !== undefined || !/^(?:localhost(?:\/|$)|[^/]*\.[^/]*\/)/.test(p.path));
const format = (p: {
  domain?: string | undefined;
  path: string;
  tag?: string | undefined;
  digest?: string | undefined;
}) =>
  (p.domain === undefined ? "" : `${p.domain}/`) +
  p.path +
  (p.tag === undefined ? "" : `:${p.tag}`) +
  (p.digest === undefined ? "" : `@${p.digest}`);

describe("parseImageReference: properties", () => {
  it("takes apart every reference built from the grammar into the parts it was built from", () => {
    fc.assert(
      fc.property(parts, (built) => {
        expect(parseImageReference(format(built))).toEqual(built);
      }),
    );
  });

  it("refuses any such reference with an upper-case letter in its path, naming the field", () => {
    fc.assert(
      fc.property(parts, fc.nat(), fc.constantFrom("A", "Z", "Q"), (built, at, upper) => {
        const index = at % built.path.length;
        if (built.path[index] === "/") return;
        const path = built.path.slice(0, index) + upper + built.path.slice(index + 1);
        const error = refusal(format({ ...built, path }), { field: "image" });
        expect(error.field).toBe("image");
      }),
    );
  });
});
