import { inspect } from "node:util";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ProviderService } from "../../../../src/client/providers/provider-service.js";
import {
  AlreadyExistsError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  type OpenShellError,
} from "../../../../src/errors.js";
import { ProviderSchema } from "../../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import {
  type CreateProviderRequest,
  OpenShell,
  type UpdateProviderRequest,
} from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { memoryCalls } from "../../support/memory-gateway.js";

const secret = "sk-live-0123456789abcdef";

/** A Provider message as a gateway returns it; `credentialValue` lets a test play a careless one. */
function providerMessage(name: string, credentialValue = "REDACTED") {
  return create(ProviderSchema, {
    metadata: {
      id: `id-${name}`,
      name,
      workspace: "default",
      resourceVersion: 7n,
      createdAtMs: 1_700_000_000_000n,
    },
    type: "openai",
    credentials: { OPENAI_API_KEY: credentialValue, ORG_TOKEN: credentialValue },
    config: { OPENAI_BASE_URL: "https://api.example.test/v1" },
  });
}

/** Every way a value can end up printed: message, toString, stack, inspect (causes included), JSON. */
function printed(value: unknown): string {
  const err = value as Partial<OpenShellError>;
  return [
    String(value),
    err?.stack ?? "",
    inspect(value, { depth: 10, showHidden: true }),
    JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
  ].join("\n");
}

async function rejection(promise: Promise<unknown>): Promise<OpenShellError> {
  try {
    await promise;
  } catch (err) {
    return err as OpenShellError;
  }
  throw new Error("expected the call to reject");
}

describe("ProviderService.create", () => {
  it("sends name, type, credentials and config, and returns keys but never values", async () => {
    let seen: CreateProviderRequest | undefined;
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        createProvider(req) {
          seen = req;
          // A gateway that echoes real values must still not leak them through the SDK.
          return { provider: providerMessage(req.provider?.metadata?.name ?? "", secret) };
        },
      }),
    );
    const input = {
      name: "openai",
      type: "openai",
      credentials: { OPENAI_API_KEY: secret, ORG_TOKEN: secret },
      config: { OPENAI_BASE_URL: "https://api.example.test/v1" },
    };
    const info = await new ProviderService(calls).create(input);

    expect(seen?.provider?.metadata?.name).toBe("openai");
    expect(seen?.provider?.type).toBe("openai");
    expect(seen?.provider?.credentials).toEqual({ OPENAI_API_KEY: secret, ORG_TOKEN: secret });
    expect(seen?.workspace).toBe("default");
    expect(info).toEqual({
      id: "id-openai",
      name: "openai",
      workspace: "default",
      type: "openai",
      credentialKeys: ["OPENAI_API_KEY", "ORG_TOKEN"],
      config: { OPENAI_BASE_URL: "https://api.example.test/v1" },
      resourceVersion: 7n,
      createdAt: new Date(1_700_000_000_000),
    });
    expect(printed(info)).not.toContain(secret);
    expect(printed(info)).not.toContain("REDACTED");
  });

  it("accepts a provider type the SDK does not know yet", async () => {
    const calls = memoryCalls((r) =>
      r.service(OpenShell, { createProvider: (req) => ({ provider: req.provider }) }),
    );
    const info = await new ProviderService(calls).create({ name: "x", type: "brand-new-type" });
    expect(info.type).toBe("brand-new-type");
  });

  it.each([
    [{ name: "", type: "openai" }, "name"],
    [{ name: "has space", type: "openai" }, "name"],
    [{ name: "ok" }, "type"],
    [{ name: "ok", type: "  " }, "type"],
    [{ name: "ok", type: "openai", credentials: { "1BAD": secret } }, "credentials.1BAD"],
    [{ name: "ok", type: "openai", credentials: { KEY: "" } }, "credentials.KEY"],
    [{ name: "ok", type: "openai", config: { "": "x" } }, "config."],
    [{ name: "ok", type: "openai", workspace: "" }, "workspace"],
  ])("rejects %j before sending, naming %s", async (input, field) => {
    let called = false;
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        createProvider() {
          called = true;
          return {};
        },
      }),
    );
    const err = await rejection(new ProviderService(calls).create(input as never));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe(field);
    expect(err.message).toContain(field);
    expect(printed(err)).not.toContain(secret);
    expect(called).toBe(false);
  });

  it("never quotes a credential value that has the wrong type", async () => {
    const calls = memoryCalls(() => {});
    const err = await rejection(
      new ProviderService(calls).create({
        name: "ok",
        type: "openai",
        credentials: { KEY: 987654321 },
      } as never),
    );
    expect((err as InvalidArgumentError).field).toBe("credentials.KEY");
    expect(printed(err)).not.toContain("987654321");
  });

  it("redacts a credential value the gateway quotes in its error", async () => {
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        createProvider() {
          throw new ConnectError(`credential OPENAI_API_KEY=${secret} is malformed`, Code.InvalidArgument);
        },
      }),
    );
    const err = await rejection(
      new ProviderService(calls).create({
        name: "ok",
        type: "openai",
        credentials: { OPENAI_API_KEY: secret },
      }),
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toContain("OPENAI_API_KEY=[redacted]");
    expect(printed(err)).not.toContain(secret);
  });

  it("maps a duplicate to AlreadyExistsError without the secret", async () => {
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        createProvider() {
          throw new ConnectError('provider "ok" already exists', Code.AlreadyExists);
        },
      }),
    );
    const err = await rejection(
      new ProviderService(calls).create({
        name: "ok",
        type: "openai",
        credentials: { OPENAI_API_KEY: secret },
      }),
    );
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect(printed(err)).not.toContain(secret);
  });
});

describe("ProviderService.update", () => {
  it('sends the merge maps ("" deletes) and the expected resource version', async () => {
    let seen: UpdateProviderRequest | undefined;
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        updateProvider(req) {
          seen = req;
          return { provider: providerMessage("openai") };
        },
      }),
    );
    const info = await new ProviderService(calls).update("openai", {
      credentials: { OPENAI_API_KEY: secret, ORG_TOKEN: "" },
      config: { OPENAI_BASE_URL: "" },
      expectedResourceVersion: 7n,
      workspace: "team-a",
    });
    expect(seen?.provider?.metadata?.name).toBe("openai");
    expect(seen?.provider?.metadata?.resourceVersion).toBe(7n);
    expect(seen?.provider?.type).toBe("");
    expect(seen?.provider?.credentials).toEqual({ OPENAI_API_KEY: secret, ORG_TOKEN: "" });
    expect(seen?.provider?.config).toEqual({ OPENAI_BASE_URL: "" });
    expect(seen?.workspace).toBe("team-a");
    expect(printed(info)).not.toContain(secret);
  });

  it("maps a stale version to ConflictError and redacts the secret", async () => {
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        updateProvider() {
          throw new ConnectError(`stale resource_version for update with ${secret}`, Code.Aborted);
        },
      }),
    );
    const err = await rejection(
      new ProviderService(calls).update("openai", {
        credentials: { K: secret },
        expectedResourceVersion: 1n,
      }),
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect(printed(err)).not.toContain(secret);
  });

  it("rejects a negative expected version, naming it", async () => {
    const err = await rejection(
      new ProviderService(memoryCalls(() => {})).update("openai", { expectedResourceVersion: -1n }),
    );
    expect((err as InvalidArgumentError).field).toBe("expectedResourceVersion");
  });
});

describe("ProviderService get / list / delete", () => {
  it("gets a provider by name in the client's workspace", async () => {
    const calls = memoryCalls(
      (r) =>
        r.service(OpenShell, {
          getProvider(req) {
            if (req.name !== "gh" || req.workspace !== "ws1") throw new ConnectError("nope", Code.NotFound);
            return { provider: providerMessage("gh") };
          },
        }),
      "ws1",
    );
    const service = new ProviderService(calls);
    expect((await service.get("gh")).credentialKeys).toEqual(["OPENAI_API_KEY", "ORG_TOKEN"]);
    await expect(service.get("other")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("lists with paging, or across workspaces", async () => {
    const seen: { limit: number; offset: number; workspace: string; allWorkspaces: boolean }[] = [];
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        listProviders(req) {
          seen.push({
            limit: req.limit,
            offset: req.offset,
            workspace: req.workspace,
            allWorkspaces: req.allWorkspaces,
          });
          return { providers: [providerMessage("a"), providerMessage("b")] };
        },
      }),
    );
    const service = new ProviderService(calls);
    const page = await service.list({ limit: 2, offset: 4 });
    expect(page.map((p) => p.name)).toEqual(["a", "b"]);
    await service.list({ allWorkspaces: true });
    expect(seen).toEqual([
      { limit: 2, offset: 4, workspace: "default", allWorkspaces: false },
      { limit: 0, offset: 0, workspace: "", allWorkspaces: true },
    ]);
    const err = await rejection(service.list({ workspace: "x", allWorkspaces: true }));
    expect((err as InvalidArgumentError).field).toBe("allWorkspaces");
  });

  it("returns false when deleting a provider that does not exist", async () => {
    const calls = memoryCalls((r) =>
      r.service(OpenShell, { deleteProvider: (req) => ({ deleted: req.name === "exists" }) }),
    );
    const service = new ProviderService(calls);
    expect(await service.delete("exists")).toBe(true);
    expect(await service.delete("missing")).toBe(false);
  });
});

describe("ProviderService sandbox attachments", () => {
  it("attaches, detaches and lists by sandbox name", async () => {
    const log: string[] = [];
    const calls = memoryCalls((r) =>
      r.service(OpenShell, {
        attachSandboxProvider(req) {
          log.push(
            `attach ${req.sandboxName} ${req.providerName} ${req.workspace} ${req.expectedResourceVersion}`,
          );
          return { attached: true };
        },
        detachSandboxProvider(req) {
          log.push(`detach ${req.sandboxName} ${req.providerName} ${req.workspace}`);
          return { detached: true };
        },
        listSandboxProviders(req) {
          log.push(`list ${req.sandboxName} ${req.workspace}`);
          return { providers: [providerMessage("openai", secret)] };
        },
      }),
    );
    const service = new ProviderService(calls);
    expect(await service.attach("sb-1", "openai", { expectedResourceVersion: 3n })).toBe(true);
    expect(await service.detach("sb-1", "openai", { workspace: "ws2" })).toBe(true);
    const listed = await service.listForSandbox("sb-1");
    expect(listed.map((p) => p.name)).toEqual(["openai"]);
    expect(printed(listed)).not.toContain(secret);
    expect(log).toEqual(["attach sb-1 openai default 3", "detach sb-1 openai ws2", "list sb-1 default"]);
  });

  it("names the bad argument", async () => {
    const service = new ProviderService(memoryCalls(() => {}));
    const bad = await rejection(service.attach("Not_A_Sandbox", "openai"));
    expect((bad as InvalidArgumentError).field).toBe("sandbox name");
    const badProvider = await rejection(service.detach("sb-1", ""));
    expect((badProvider as InvalidArgumentError).field).toBe("provider name");
  });
});
