import { type DescMessage, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  AttachSandboxProviderResponseSchema,
  ListProvidersResponseSchema,
  ListSandboxProvidersResponseSchema,
  ProviderResponseSchema,
} from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { harnessPerTest, outcome } from "./handler-harness.js";

const secret = "sk-live-do-not-leak-0123456789";

const h = harnessPerTest();

function createOpenAi(name = "llm", workspace = "") {
  return h.client.createProvider({
    provider: {
      metadata: { name, labels: { team: "a" } },
      type: "openai",
      credentials: { OPENAI_API_KEY: secret },
      config: { OPENAI_BASE_URL: "https://api.example.test/v1" },
    },
    workspace,
  });
}

/** Every response's full JSON, so a test can assert a secret appears in none of them. */
const seen: string[] = [];
function record<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): MessageShape<Desc> {
  seen.push(toJsonString(schema, message));
  return message;
}

describe("provider handlers", () => {
  it("creates a provider with its type made canonical, version 1, and credential values redacted", async () => {
    const res = await h.client.createProvider({
      provider: { metadata: { name: "cc" }, type: "claude", credentials: { ANTHROPIC_API_KEY: secret } },
    });
    expect(res.provider?.type).toBe("claude-code");
    expect(res.provider?.metadata?.name).toBe("cc");
    expect(res.provider?.metadata?.workspace).toBe("default");
    expect(res.provider?.metadata?.resourceVersion).toBe(1n);
    expect(res.provider?.metadata?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.provider?.metadata?.createdAtMs).toBe(BigInt(Date.UTC(2025, 0, 1)));
    expect(res.provider?.credentials).toEqual({ ANTHROPIC_API_KEY: "REDACTED" });
  });

  it("answers create, get and update mistakes with the gateway's codes", async () => {
    await createOpenAi();
    expect(await outcome(createOpenAi())).toEqual({
      code: "AlreadyExists",
      message: 'provider "llm" already exists in workspace "default"',
    });
    expect((await outcome(h.client.createProvider({}))).code).toBe("InvalidArgument");
    expect(
      await outcome(h.client.createProvider({ provider: { metadata: { name: "x" }, type: "" } })),
    ).toEqual({ code: "InvalidArgument", message: "provider.type is required" });
    expect(
      await outcome(h.client.createProvider({ provider: { metadata: { name: "x" }, type: "myspace" } })),
    ).toEqual({ code: "InvalidArgument", message: 'unknown provider type "myspace"' });
    expect((await outcome(h.client.createProvider({ provider: { type: "openai" } }))).code).toBe(
      "InvalidArgument",
    );
    expect(await outcome(h.client.getProvider({ name: "nope" }))).toEqual({
      code: "NotFound",
      message: 'provider "nope" not found in workspace "default"',
    });
    expect((await outcome(h.client.updateProvider({ provider: { metadata: { name: "nope" } } }))).code).toBe(
      "NotFound",
    );
    expect(
      (await outcome(h.client.updateProvider({ provider: { metadata: { name: "llm" }, type: "github" } })))
        .code,
    ).toBe("InvalidArgument");
  });

  it("merges updates (an empty value deletes a key), bumps the version and refuses a stale one", async () => {
    await createOpenAi();
    const updated = await h.client.updateProvider({
      provider: {
        metadata: { name: "llm", resourceVersion: 1n },
        type: "openai",
        credentials: { EXTRA_KEY: "another-secret" },
        config: { OPENAI_BASE_URL: "" },
      },
      credentialExpiresAtMs: { OPENAI_API_KEY: 1_900_000_000_000n },
    });
    expect(updated.provider?.metadata?.resourceVersion).toBe(2n);
    expect(updated.provider?.credentials).toEqual({ OPENAI_API_KEY: "REDACTED", EXTRA_KEY: "REDACTED" });
    expect(updated.provider?.config).toEqual({});
    expect(updated.provider?.credentialExpiresAtMs).toEqual({ OPENAI_API_KEY: 1_900_000_000_000n });

    expect(
      await outcome(
        h.client.updateProvider({ provider: { metadata: { name: "llm", resourceVersion: 1n } } }),
      ),
    ).toEqual({ code: "Aborted", message: 'provider "llm" changed since resource_version 1 (now 2)' });
    // 0 skips the check.
    const unchecked = await h.client.updateProvider({ provider: { metadata: { name: "llm" } } });
    expect(unchecked.provider?.metadata?.resourceVersion).toBe(3n);
    expect((await h.client.getProvider({ name: "llm" })).provider?.metadata?.resourceVersion).toBe(3n);
  });

  it("lists one workspace or all, by name, paged, and refuses both at once", async () => {
    for (const name of ["c", "a", "b"]) await createOpenAi(name);
    await h.client.createWorkspace({ name: "team" });
    await createOpenAi("z", "team");
    const names = (res: { providers: { metadata?: { name: string } }[] }) =>
      res.providers.map((p) => p.metadata?.name);
    expect(names(await h.client.listProviders({}))).toEqual(["a", "b", "c"]);
    expect(names(await h.client.listProviders({ workspace: "team" }))).toEqual(["z"]);
    expect(names(await h.client.listProviders({ allWorkspaces: true }))).toEqual(["a", "b", "c", "z"]);
    expect(names(await h.client.listProviders({ limit: 2, offset: 1 }))).toEqual(["b", "c"]);
    expect(await outcome(h.client.listProviders({ workspace: "team", allWorkspaces: true }))).toEqual({
      code: "InvalidArgument",
      message: "workspace and all_workspaces cannot both be set",
    });
  });

  it("attaches and detaches through the sandbox's spec, bumping its version and logging it", async () => {
    await createOpenAi();
    const sb = h.createSandbox("web");
    const attached = await h.client.attachSandboxProvider({ sandboxName: "web", providerName: "llm" });
    expect(attached.attached).toBe(true);
    expect(attached.sandbox?.spec?.providers).toEqual(["llm"]);
    expect(attached.sandbox?.metadata?.resourceVersion).toBe(2n);
    expect(sb.logs).toEqual([{ level: "INFO", message: 'provider "llm" attached' }]);

    const again = await h.client.attachSandboxProvider({ sandboxName: "web", providerName: "llm" });
    expect(again.attached).toBe(false);
    expect(again.sandbox?.metadata?.resourceVersion).toBe(2n);

    const listed = await h.client.listSandboxProviders({ sandboxName: "web" });
    expect(listed.providers.map((p) => [p.metadata?.name, p.credentials])).toEqual([
      ["llm", { OPENAI_API_KEY: "REDACTED" }],
    ]);

    const detached = await h.client.detachSandboxProvider({
      sandboxName: "web",
      providerName: "llm",
      expectedResourceVersion: 2n,
    });
    expect(detached.detached).toBe(true);
    expect(detached.sandbox?.spec?.providers).toEqual([]);
    expect(sb.logs.at(-1)?.message).toBe('provider "llm" detached');
    expect((await h.client.detachSandboxProvider({ sandboxName: "web", providerName: "llm" })).detached).toBe(
      false,
    );
  });

  it("refuses attaching to a missing sandbox, a missing provider, or at a stale version", async () => {
    await createOpenAi();
    h.createSandbox("web");
    expect(
      (await outcome(h.client.attachSandboxProvider({ sandboxName: "gone", providerName: "llm" }))).code,
    ).toBe("NotFound");
    expect(
      await outcome(h.client.attachSandboxProvider({ sandboxName: "web", providerName: "nope" })),
    ).toEqual({
      code: "FailedPrecondition",
      message:
        'provider "nope" not found in workspace "default"; create it first (providers.create) or check the name',
    });
    expect(
      await outcome(
        h.client.attachSandboxProvider({
          sandboxName: "web",
          providerName: "llm",
          expectedResourceVersion: 7n,
        }),
      ),
    ).toEqual({ code: "Aborted", message: 'sandbox "web" changed since resource_version 7 (now 1)' });
    // A provider of another workspace is not the sandbox's to use.
    await h.client.createWorkspace({ name: "team" });
    await createOpenAi("other", "team");
    expect(
      (await outcome(h.client.attachSandboxProvider({ sandboxName: "web", providerName: "other" }))).code,
    ).toBe("FailedPrecondition");
  });

  it("deletes: false for a missing provider, FAILED_PRECONDITION while attached, true after detach", async () => {
    await createOpenAi();
    h.createSandbox("web", { providers: ["llm"] });
    expect(await h.client.deleteProvider({ name: "nope" })).toMatchObject({ deleted: false });
    expect(await outcome(h.client.deleteProvider({ name: "llm" }))).toEqual({
      code: "FailedPrecondition",
      message: 'provider "llm" is attached to sandbox(es) web; detach it first',
    });
    await h.client.detachSandboxProvider({ sandboxName: "web", providerName: "llm" });
    expect(await h.client.deleteProvider({ name: "llm" })).toMatchObject({ deleted: true });
    expect((await outcome(h.client.getProvider({ name: "llm" }))).code).toBe("NotFound");
  });

  it("stores credentials but never answers with one", async () => {
    seen.length = 0;
    record(ProviderResponseSchema, await createOpenAi());
    h.createSandbox("web");
    record(ProviderResponseSchema, await h.client.getProvider({ name: "llm" }));
    record(ListProvidersResponseSchema, await h.client.listProviders({ allWorkspaces: true }));
    record(
      ProviderResponseSchema,
      await h.client.updateProvider({ provider: { metadata: { name: "llm" }, credentials: { B: secret } } }),
    );
    record(
      AttachSandboxProviderResponseSchema,
      await h.client.attachSandboxProvider({ sandboxName: "web", providerName: "llm" }),
    );
    record(ListSandboxProvidersResponseSchema, await h.client.listSandboxProviders({ sandboxName: "web" }));
    expect(seen).toHaveLength(6);
    for (const json of seen) expect(json).not.toContain(secret);
    expect(seen.join("\n")).toContain('"OPENAI_API_KEY":"REDACTED"');

    const stored = h.store.getProvider<{ credentials: Record<string, string> }>("default", "llm");
    expect(stored?.record.credentials).toEqual({ OPENAI_API_KEY: secret, B: secret });
  });

  it("keeps providers, versions and credentials across closing and reopening the store", async () => {
    await createOpenAi();
    await h.client.updateProvider({ provider: { metadata: { name: "llm" }, config: { X: "1" } } });
    h.reopen();
    const after = await h.client.getProvider({ name: "llm" });
    expect(after.provider?.metadata?.resourceVersion).toBe(2n);
    expect(after.provider?.config).toEqual({ OPENAI_BASE_URL: "https://api.example.test/v1", X: "1" });
    expect(after.provider?.metadata?.labels).toEqual({ team: "a" });
    expect(
      h.store.getProvider<{ credentials: Record<string, string> }>("default", "llm")?.record.credentials,
    ).toEqual({ OPENAI_API_KEY: secret });
    expect(
      (
        await outcome(
          h.client.updateProvider({ provider: { metadata: { name: "llm", resourceVersion: 1n } } }),
        )
      ).code,
    ).toBe("Aborted");
  });
});
