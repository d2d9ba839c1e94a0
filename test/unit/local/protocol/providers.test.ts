import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ProviderSchema } from "../../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import {
  CreateProviderRequestSchema,
  UpdateProviderRequestSchema,
} from "../../../../src/gen/openshell/v1/openshell_pb.js";
import {
  applyProviderUpdate,
  attachToSpec,
  canonicalProviderType,
  detachFromSpec,
  newProvider,
  providerToUpdate,
  redactProvider,
  sandboxesUsing,
} from "../../../../src/local/protocol/providers.js";
import { codeOf } from "./thrown.js";

describe("provider types", () => {
  it("maps aliases to the canonical type and refuses unknown or empty ones", () => {
    expect(canonicalProviderType("claude")).toBe("claude-code");
    expect(canonicalProviderType("claude_code")).toBe("claude-code");
    expect(canonicalProviderType("gh")).toBe("github");
    expect(canonicalProviderType("glab")).toBe("gitlab");
    expect(canonicalProviderType("gcp")).toBe("google-cloud");
    for (const type of [
      "openai",
      "anthropic",
      "nvidia",
      "deepinfra",
      "aws-bedrock",
      "google-vertex-ai",
      "generic",
    ]) {
      expect(canonicalProviderType(type)).toBe(type);
    }
    expect(codeOf(() => canonicalProviderType(""))).toBe("InvalidArgument");
    expect(codeOf(() => canonicalProviderType("OpenAI"))).toBe("InvalidArgument");
  });
});

describe("provider records", () => {
  it("builds a new provider in the request's workspace, else the metadata's, else default", () => {
    const req = (workspace: string, metaWorkspace: string) =>
      create(CreateProviderRequestSchema, {
        provider: { metadata: { name: "p", workspace: metaWorkspace }, type: "gh", credentials: { T: "s" } },
        workspace,
      });
    const p = newProvider(req("", ""), "id-1", 42);
    expect(p.metadata).toMatchObject({
      id: "id-1",
      name: "p",
      workspace: "default",
      createdAtMs: 42n,
      resourceVersion: 1n,
    });
    expect(p.type).toBe("github");
    expect(newProvider(req("", "meta"), "id", 0).metadata?.workspace).toBe("meta");
    expect(newProvider(req("req", "meta"), "id", 0).metadata?.workspace).toBe("req");
    expect(codeOf(() => newProvider(create(CreateProviderRequestSchema), "id", 0))).toBe("InvalidArgument");
  });

  it("redacts a copy and leaves the stored provider as it was", () => {
    const stored = create(ProviderSchema, { credentials: { A: "secret", B: "other" } });
    expect(redactProvider(stored).credentials).toEqual({ A: "REDACTED", B: "REDACTED" });
    expect(stored.credentials).toEqual({ A: "secret", B: "other" });
  });

  it("merges an update, an empty value or a zero expiry deleting the key, and keeps the type", () => {
    const current = create(ProviderSchema, {
      type: "claude-code",
      credentials: { A: "1", B: "2" },
      config: { C: "3" },
      credentialExpiresAtMs: { A: 10n, B: 20n },
    });
    const req = create(UpdateProviderRequestSchema, {
      provider: {
        metadata: { name: "p" },
        type: "claude",
        credentials: { A: "", D: "4" },
        config: { C: "5" },
      },
      credentialExpiresAtMs: { A: 0n, D: 40n },
    });
    applyProviderUpdate(current, req);
    expect(current.credentials).toEqual({ B: "2", D: "4" });
    expect(current.config).toEqual({ C: "5" });
    expect(current.credentialExpiresAtMs).toEqual({ B: 20n, D: 40n });
    const retype = create(UpdateProviderRequestSchema, { provider: { type: "openai" } });
    expect(codeOf(() => applyProviderUpdate(current, retype))).toBe("InvalidArgument");
  });

  it("finds which provider an update names", () => {
    const req = create(UpdateProviderRequestSchema, {
      provider: { metadata: { name: "p", workspace: "w" } },
    });
    expect(providerToUpdate(req)).toEqual({ name: "p", workspace: "w" });
    expect(codeOf(() => providerToUpdate(create(UpdateProviderRequestSchema)))).toBe("InvalidArgument");
    expect(codeOf(() => providerToUpdate(create(UpdateProviderRequestSchema, { provider: {} })))).toBe(
      "InvalidArgument",
    );
  });
});

describe("attachment", () => {
  it("adds a provider once, removes it once, and holds at most 32", () => {
    const spec = { providers: ["a"] };
    expect(attachToSpec(spec, "b")).toBe(true);
    expect(attachToSpec(spec, "b")).toBe(false);
    expect(detachFromSpec(spec, "a")).toBe(true);
    expect(detachFromSpec(spec, "a")).toBe(false);
    expect(spec.providers).toEqual(["b"]);
    const full = { providers: Array.from({ length: 32 }, (_, i) => `p${i}`) };
    expect(codeOf(() => attachToSpec(full, "one-more"))).toBe("FailedPrecondition");
    expect(full.providers).toHaveLength(32);
  });

  it("names the sandboxes that use a provider", () => {
    const sandboxes = [
      { name: "a", spec: { providers: ["x", "y"] } },
      { name: "b", spec: { providers: ["y"] } },
    ];
    expect(sandboxesUsing(sandboxes, "y")).toEqual(["a", "b"]);
    expect(sandboxesUsing(sandboxes, "z")).toEqual([]);
  });
});
