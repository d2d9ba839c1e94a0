import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseImagePolicy } from "../../../../src/local/sandboxes/image-policy-file.js";
import { parseYaml } from "../../../../src/local/sandboxes/policy-yaml.js";
import { firstTarEntry } from "../../../../src/local/sandboxes/single-file-tar.js";

/** A policy file as upstream's own fixtures write them (openshell-sandbox's testdata, abridged). */
const UPSTREAM_STYLE = `# a sandbox image's policy
version: 1

filesystem_policy:
  include_workdir: true
  read_only:
    - /usr
    - /etc
  read_write:
  - /sandbox   # a sequence at its key's indentation
  - /tmp

landlock:
  compatibility: best_effort

process:
  run_as_user: sandbox
  run_as_group: 'sand''box'

network_policies:
  claude_code:
    name: claude_code
    endpoints:
      - { host: api.anthropic.com, port: 443 }
      - { host: "statsig.anthropic.com", ports: [443, 8443] }
  github:
    name: github-ssh-over-https
    endpoints:
      - host: github.com
        port: 443
        protocol: rest
        enforcement: enforce
        rules:
          - allow:
              method: GET
              path: "/**/info/refs*"
    binaries:
      - path: /usr/bin/git
        harness: true
`;

/** Recorded: `docker cp <container>:/etc/openshell/policy.yaml -` (Docker 20.10), gzipped; the file is "version: 1\\n". */
const FILE_TAR =
  "H4sICOrrFmsCA2ZpbGUudGFyACvIz8lMrtSrTMzNYaAVMDA0MDAzMWEwgAB02sDA0JjB0NTYwNTUzNTc1BCo3tjIxIxBwYCBDqC0uCSxCOiUovz8EnzqCMmje26IgLLUouLM/DwrBUMuhlEwCkbBKBgFIwcAAHjNmi4ACAAA";
/** Recorded: `docker cp <container>:/bin/sh -` of the busybox test image, where /bin/sh -> busybox. */
const LINK_TAR =
  "H4sICOrrFmsCA2xpbmsudGFyACvOYKA5MDA0MjA3N2cwgAB0Gsw2NDU2MDUxMDUzNgSqNzYAUgpGSaXFlUn5FTR1XGlxSWIR0ClF+fkl+NQRkkf33CgYBaNgFAxyAABkbJuZAAYAAA==";

const tar = (base64: string) => gunzipSync(Buffer.from(base64, "base64"));

describe("an image's policy file", () => {
  it("reads upstream's format into the sandbox policy (filesystem_policy is filesystem; harness is dropped)", () => {
    const parsed = parseImagePolicy(UPSTREAM_STYLE);
    if (!parsed.ok) throw new Error(parsed.problem);
    const { policy } = parsed;
    expect(policy.version).toBe(1);
    expect(policy.filesystem).toMatchObject({
      includeWorkdir: true,
      readOnly: ["/usr", "/etc"],
      readWrite: ["/sandbox", "/tmp"],
    });
    expect(policy.landlock?.compatibility).toBe("best_effort");
    expect(policy.process).toMatchObject({ runAsUser: "sandbox", runAsGroup: "sand'box" });
    expect(policy.networkPolicies.claude_code?.endpoints.map((e) => [e.host, e.port, e.ports])).toEqual([
      ["api.anthropic.com", 443, []],
      ["statsig.anthropic.com", 0, [443, 8443]],
    ]);
    const github = policy.networkPolicies.github;
    expect(github?.name).toBe("github-ssh-over-https");
    expect(github?.endpoints[0]?.rules[0]?.allow).toMatchObject({ method: "GET", path: "/**/info/refs*" });
    expect(github?.binaries.map((b) => b.path)).toEqual(["/usr/bin/git"]);
  });

  it("reads an endpoint's credential_binding, as upstream's schema has it", () => {
    const parsed = parseImagePolicy(
      "version: 1\nnetwork_policies:\n  s3:\n    endpoints:\n      - host: minio.test\n        port: 9000\n        credential_binding: { provider: cloud }\n",
    );
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(parsed.policy.networkPolicies.s3?.endpoints[0]?.credentialBinding?.provider).toBe("cloud");
  });

  it("refuses what upstream's schema refuses, naming the key", () => {
    const problem = (text: string) => {
      const parsed = parseImagePolicy(text);
      return parsed.ok ? "accepted" : parsed.problem;
    };
    expect(problem("version: 1\nfilesystem:\n  read_only: [/usr]\n")).toMatch(
      /^unknown key "filesystem" \(known: version, filesystem_policy,/,
    );
    expect(problem("filesystem_policy: {}\n")).toBe('missing key "version"');
    expect(
      problem("version: 1\nnetwork_policies:\n  a:\n    endpoints:\n      - { host: x, port: 70000 }\n"),
    ).toBe("network_policies.a.endpoints[0].port: expected an integer from 0 to 65535, found number 70000");
    expect(
      problem("version: 1\nnetwork_policies:\n  a:\n    endpoints:\n      - host: x\n        prot: rest\n"),
    ).toMatch(/^network_policies\.a\.endpoints\[0\]: unknown key "prot"/);
    expect(problem("version: 1\nprocess: { run_as_user: 1000 }\n")).toBe(
      "process.run_as_user: expected a string, found number 1000",
    );
    expect(problem("version: 1\nnetwork_policies:\n  a:\n    binaries:\n      - harness: true\n")).toBe(
      'network_policies.a.binaries[0]: missing key "path"',
    );
    expect(
      problem(
        "version: 1\nnetwork_policies:\n  a:\n    endpoints:\n      - { host: x, port: 1, credential_binding: {} }\n",
      ),
    ).toBe('network_policies.a.endpoints[0].credential_binding: missing key "provider"');
    expect(problem("version: 1\nlandlock: |\n  x\n")).toBe(
      'landlock: expected a mapping, found string "x\\n"',
    );
  });
});

describe("policy YAML", () => {
  it("reads scalars as YAML 1.2's core schema types them, aliases resolved", () => {
    expect(parseYaml("a: true\nb: ~\nc: 12\nd: -1.5\ne: 0x1F\nf: '12'\ng: \"tab\\there\"\nh:\n")).toEqual({
      a: true,
      b: null,
      c: 12,
      d: -1.5,
      e: 31,
      f: "12",
      g: "tab\there",
      h: null,
    });
    expect(parseYaml("a: &x [1, 2]\nb: *x\nc: |\n  two\n  lines\n")).toEqual({
      a: [1, 2],
      b: [1, 2],
      c: "two\nlines\n",
    });
  });

  it("refuses duplicate keys, tabs, unknown tags, several documents and unclosed flow collections, with the line", () => {
    expect(() => parseYaml("a: 1\na: 2")).toThrow("line 2: Map keys must be unique");
    expect(() => parseYaml("a:\n\t- x")).toThrow("line 2: Tabs are not allowed as indentation");
    expect(() => parseYaml("a: 1\nb: !foo 1")).toThrow("line 2: Unresolved tag: !foo");
    expect(() => parseYaml("a: 1\n---\nb: 2")).toThrow(/^line \d: Source contains multiple documents/);
    expect(() => parseYaml("a: [1, 2")).toThrow(/^line 1: /);
    expect(() => parseYaml("- a\nb: 1")).toThrow(/^line 2: /);
  });

  it("refuses a file whose aliases expand beyond a policy's needs", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${"bcdefgh"[i - 1]}: &${"bcdefgh"[i - 1]} [${Array(10)
          .fill(`*${"abcdefg"[i - 1]}`)
          .join(", ")}]`,
      );
    expect(() => parseYaml(bomb.join("\n"))).toThrow(/^line 1: .*[Aa]lias/);
  });
});

describe("an engine's archive of one path", () => {
  it("holds the file's bytes", () => {
    const entry = firstTarEntry(tar(FILE_TAR));
    expect(entry.kind).toBe("file");
    expect(entry.kind === "file" && entry.content.toString()).toBe("version: 1\n");
  });

  it("holds a symlink's target", () => {
    expect(firstTarEntry(tar(LINK_TAR))).toEqual({ kind: "link", target: "busybox" });
  });

  it("is refused when cut short", () => {
    expect(() => firstTarEntry(tar(FILE_TAR).subarray(0, 512))).toThrow("the archive is cut short");
  });
});
