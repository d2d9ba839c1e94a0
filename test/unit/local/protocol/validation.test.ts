import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { SandboxSpecSchema } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import {
  checkExecCommand,
  checkResourceVersion,
  checkSandboxName,
  checkSandboxSpec,
  checkWorkspaceScope,
  matchesLabels,
  page,
  pageSize,
  paging,
  parseLabelSelector,
  workspaceOf,
} from "../../../../src/local/protocol/validation.js";
import { thrown } from "./thrown.js";

describe("sandbox names", () => {
  it("accepts DNS-1123 labels of at most 19 characters", () => {
    for (const name of ["a", "web-1", "a1b2c3d4e5f6g7h8i9j"])
      expect(thrown(() => checkSandboxName(name))).toBeUndefined();
  });

  it("refuses long names, capitals, underscores and misplaced or doubled dashes", () => {
    expect(thrown(() => checkSandboxName("a1b2c3d4e5f6g7h8i9j0"))).toEqual({
      code: "InvalidArgument",
      message: 'sandbox name "a1b2c3d4e5f6g7h8i9j0" is longer than 19 characters',
    });
    for (const name of ["Web", "a_b", "-a", "a-", "a--b", ""]) {
      expect(thrown(() => checkSandboxName(name))?.code).toBe("InvalidArgument");
    }
  });
});

describe("sandbox spec limits", () => {
  const spec = (init: Parameters<typeof create<typeof SandboxSpecSchema>>[1]) =>
    create(SandboxSpecSchema, init);

  it("accepts a spec at every limit", () => {
    const full = spec({
      providers: Array.from({ length: 32 }, (_, i) => `p${i}`),
      environment: Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`K${i}`, "v".repeat(8 * 1024)])),
      command: Array.from({ length: 256 }, () => "x"),
    });
    expect(thrown(() => checkSandboxSpec(full))).toBeUndefined();
  });

  it("names the field that is over its limit", () => {
    expect(
      thrown(() => checkSandboxSpec(spec({ providers: Array.from({ length: 33 }, (_, i) => `p${i}`) }))),
    ).toEqual({ code: "InvalidArgument", message: "spec.providers has 33 entries, more than 32" });
    expect(
      thrown(() => checkSandboxSpec(spec({ template: { environment: { K: "v".repeat(8 * 1024 + 1) } } }))),
    ).toEqual({
      code: "InvalidArgument",
      message: 'spec.template.environment["K"] is longer than 8192 bytes',
    });
    expect(
      thrown(() => checkSandboxSpec(spec({ environment: { ["k".repeat(257)]: "v" } })))?.message,
    ).toMatch(/^spec\.environment key "k{32}\.\.\." is longer than 256 bytes$/);
    expect(
      thrown(() => checkSandboxSpec(spec({ command: Array.from({ length: 257 }, () => "x") })))?.message,
    ).toBe("spec.command has 257 arguments, more than 256");
    const policy = { networkPolicies: { big: { name: "x".repeat(256 * 1024) } } };
    expect(thrown(() => checkSandboxSpec(spec({ policy })))?.message).toBe(
      "spec.policy is larger than 262144 bytes",
    );
  });
});

describe("exec commands", () => {
  it("needs a command without NUL bytes and environment keys that are identifiers", () => {
    expect(thrown(() => checkExecCommand([], {}))?.message).toBe("command is required");
    expect(thrown(() => checkExecCommand(["echo", "a\0b"], {}))?.message).toBe(
      "command[1] contains a NUL byte",
    );
    expect(thrown(() => checkExecCommand(["x".repeat(32 * 1024 + 1)], {}))?.message).toBe(
      "command[0] is longer than 32768 bytes",
    );
    expect(thrown(() => checkExecCommand(["env"], { "1BAD": "x" }))?.code).toBe("InvalidArgument");
    expect(thrown(() => checkExecCommand(["env"], { _OK1: "x" }))).toBeUndefined();
  });
});

describe("paging", () => {
  const items = Array.from({ length: 1200 }, (_, i) => i);

  it("reads limit 0 as the default and caps at the maximum", () => {
    expect(pageSize(0, paging.policyRevisions)).toBe(50);
    expect(pageSize(0, paging.providers)).toBe(100);
    expect(pageSize(5000, paging.sandboxes)).toBe(1000);
    expect(page(items, 0, 0, paging.sandboxes)).toHaveLength(100);
    expect(page(items, 5000, 0, paging.sandboxes)).toHaveLength(1000);
    expect(page(items, 3, 1198, paging.sandboxes)).toEqual([1198, 1199]);
    expect(page(items, 3, 5000, paging.sandboxes)).toEqual([]);
  });
});

describe("label selectors", () => {
  it("parses k=v pairs, trims them, and matches only labels with every pair", () => {
    expect(parseLabelSelector("  ")).toEqual([]);
    const selector = parseLabelSelector("app = web, tier=front");
    expect(selector).toEqual([
      ["app", "web"],
      ["tier", "front"],
    ]);
    expect(matchesLabels({ app: "web", tier: "front", x: "y" }, selector)).toBe(true);
    expect(matchesLabels({ app: "web" }, selector)).toBe(false);
    expect(matchesLabels({}, [])).toBe(true);
  });

  it("refuses a pair without a key or an equals sign", () => {
    expect(thrown(() => parseLabelSelector("app"))).toEqual({
      code: "InvalidArgument",
      message: 'label_selector "app": expected k=v pairs separated by commas',
    });
    expect(thrown(() => parseLabelSelector("=web"))?.code).toBe("InvalidArgument");
  });
});

describe("workspaces and resource versions", () => {
  it("reads an empty workspace as default and refuses one together with all_workspaces", () => {
    expect(workspaceOf("")).toBe("default");
    expect(workspaceOf("team")).toBe("team");
    expect(thrown(() => checkWorkspaceScope("", true))).toBeUndefined();
    expect(thrown(() => checkWorkspaceScope("team", true))?.code).toBe("InvalidArgument");
  });

  it("skips the version check for 0 and answers ABORTED for a stale version", () => {
    expect(thrown(() => checkResourceVersion('provider "p"', 0n, 7n))).toBeUndefined();
    expect(thrown(() => checkResourceVersion('provider "p"', 7n, 7n))).toBeUndefined();
    expect(thrown(() => checkResourceVersion('provider "p"', 6n, 7n))).toEqual({
      code: "Aborted",
      message: 'provider "p" changed since resource_version 6 (now 7)',
    });
  });
});
