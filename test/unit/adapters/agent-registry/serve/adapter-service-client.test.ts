import { getEventListeners } from "node:events";
import { createServer } from "node:http";
import { inspect } from "node:util";
import { Role } from "@a2a-js/sdk";
import {
  CanceledError,
  InvalidArgumentError,
  NotFoundError,
  ProtocolError,
  TimeoutError,
  UnauthenticatedError,
  UnavailableError,
} from "openshell";
import { desiredFingerprint, findCondition, type LogLine } from "openshell/adapters/agent-registry";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AdapterServiceClient,
  connectAdapterService,
} from "../../../../../adapters/agent-registry/serve/adapter-service-client.js";
import type { AdapterService } from "../../../../../adapters/agent-registry/serve/serve-adapter.js";
import { generateServiceToken } from "../../../../../adapters/agent-registry/serve/service-token.js";
import { applyRequest, eventually, fixture, fixtureSandbox, startService } from "./service-fixtures.js";

let service: AdapterService | undefined;
let client: AdapterServiceClient | undefined;
afterEach(async () => {
  await client?.close();
  await service?.close();
  client = undefined;
  service = undefined;
});

async function connected(options: Parameters<typeof startService>[0] = {}) {
  const started = await startService(options);
  service = started.service;
  client = await connectAdapterService(started.service.url, { token: started.token });
  return { ...started, client };
}

const deployment = () => applyRequest().deployment;

describe("connectAdapterService", () => {
  it("is a DeploymentAdapter driving the served one: type, apply, watch, invoke, logs, remove, discover", async () => {
    const { client, adapter } = await connected();
    expect(client.type()).toBe("OpenShell");
    expect(client.supportedTargetKinds()).toEqual(["Agent", "MCPServer"]);
    const applied = await client.apply(applyRequest());
    expect(findCondition(applied.conditions, "Progressing")?.status).toBe("True");
    expect(applied.runtimeMetadata.sandboxName).toBe(fixtureSandbox());

    const controller = new AbortController();
    const statuses = client.watch(deployment(), { signal: controller.signal })[Symbol.asyncIterator]();
    expect(findCondition((await statuses.next()).value?.conditions, "Progressing")?.status).toBe("True");
    adapter.converge(fixtureSandbox(), {
      type: "Ready",
      status: "True",
      reason: "AgentAnswering",
      message: "ok",
    });
    expect(findCondition((await statuses.next()).value?.conditions, "Ready")?.reason).toBe("AgentAnswering");
    controller.abort();
    expect((await statuses.next()).done).toBe(true);

    const reply = await client.invoke(deployment(), "hello");
    expect("parts" in reply && reply.role === Role.ROLE_AGENT).toBe(true);
    expect("parts" in reply ? reply.parts[0]?.content : undefined).toEqual({
      $case: "text",
      value: "echo: hello",
    });

    for (const line of ["a", "b", "c"]) adapter.appendLog(fixtureSandbox(), line);
    const lines: LogLine[] = [];
    for await (const line of client.logs({ deployment: deployment(), tailLines: 2 })) lines.push(line);
    expect(lines.map((l) => l.line)).toEqual(["b", "c"]);

    adapter.discovered = [{ targetKind: "Agent", namespace: "x", name: "stray", runtimeMetadata: {} }];
    expect(await client.discover({ runtime: fixture("runtime-local.json") })).toEqual(adapter.discovered);
    const removed = await client.remove({ deployment: deployment(), runtime: fixture("runtime-local.json") });
    expect(findCondition(removed.conditions, "Ready")?.reason).toBe("Removed");
    // Each unary call reached the adapter with a signal of its own, to be canceled by its client.
    expect(adapter.signals.map((s) => s.method)).toEqual(["apply", "invoke", "discover", "remove"]);
    expect(adapter.signals.every((s) => s.signal instanceof AbortSignal && !s.signal.aborted)).toBe(true);
  });

  it("never shows its token when inspected or printed", async () => {
    const { client, token } = await connected();
    expect(inspect(client, { depth: 5, showHidden: true })).not.toContain(token);
    expect(JSON.stringify(client)).not.toContain(token);
    expect(String(client)).not.toContain(token);
  });

  it("the service's fingerprint and the local desiredFingerprint agree", async () => {
    const { client } = await connected();
    expect(await client.fingerprint(applyRequest())).toBe(desiredFingerprint(applyRequest()));
    expect(client.desiredFingerprint(applyRequest())).toBe(desiredFingerprint(applyRequest()));
  });

  it("throws the service's errors as their SDK classes, with the field", async () => {
    const { client } = await connected();
    const err = await client
      .apply({ deployment: deployment(), runtime: fixture("runtime-local.json") })
      .catch((e) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe("target");
    await expect(client.invoke(deployment(), "hi")).rejects.toBeInstanceOf(NotFoundError);
    const logs = client.logs({ deployment: deployment() })[Symbol.asyncIterator]();
    await expect(logs.next()).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a stream the adapter fails midway throws its error after the lines before it", async () => {
    const { client, adapter } = await connected();
    await client.apply(applyRequest());
    const statuses = client.watch(deployment())[Symbol.asyncIterator]();
    await statuses.next();
    adapter.failStreams(new UnavailableError("the gateway's watch stream broke; check the gateway"));
    await expect(statuses.next()).rejects.toThrow(UnavailableError);
  });

  it("refuses a wrong token at connect with UnauthenticatedError, and a dead URL with UnavailableError", async () => {
    const started = await startService();
    service = started.service;
    await expect(
      connectAdapterService(started.service.url, { token: generateServiceToken() }),
    ).rejects.toBeInstanceOf(UnauthenticatedError);
    const url = started.service.url;
    await started.service.close();
    await expect(connectAdapterService(url, { token: started.token })).rejects.toBeInstanceOf(
      UnavailableError,
    );
    await expect(connectAdapterService("ftp://127.0.0.1/", { token: started.token })).rejects.toMatchObject({
      field: "url",
    });
    const noOptions = undefined as unknown as Parameters<typeof connectAdapterService>[1];
    await expect(connectAdapterService(url, noOptions)).rejects.toMatchObject({ field: "token" });
  });

  it("breaking out of a followed stream releases the adapter's iterable", async () => {
    const { client, adapter } = await connected();
    await client.apply(applyRequest());
    adapter.appendLog(fixtureSandbox(), "first");
    for await (const line of client.logs({ deployment: deployment(), follow: true })) {
      expect(line.line).toBe("first");
      break;
    }
    const record = adapter.streams.at(-1);
    await eventually(() => record?.ended === true);
    expect(record?.signal?.aborted).toBe(true);
    expect(getEventListeners(record!.signal!, "abort")).toHaveLength(0);
  });

  it("close() cancels calls and streams in flight with CanceledError", async () => {
    const { client, adapter } = await connected();
    await client.apply(applyRequest());
    const statuses = client.watch(deployment())[Symbol.asyncIterator]();
    await statuses.next();
    adapter.applyGate = new Promise(() => {});
    const applying = client.apply(applyRequest());
    await eventually(() => adapter.signals.filter((s) => s.method === "apply").length === 2);
    await client.close();
    await expect(applying).rejects.toThrow(CanceledError);
    await expect(statuses.next()).rejects.toThrow(CanceledError);
    await eventually(() => adapter.signals.at(-1)?.signal?.aborted === true);
    expect(client.type()).toBe("OpenShell");
    await expect(client.discover({ runtime: {} })).rejects.toThrow(/client was closed/);
  });

  it("a caller's signal cancels a call with CanceledError", async () => {
    const { client, adapter } = await connected();
    adapter.applyGate = new Promise(() => {});
    const controller = new AbortController();
    const applying = client.apply(applyRequest(), { signal: controller.signal });
    await eventually(() => adapter.signals.length === 1);
    controller.abort();
    await expect(applying).rejects.toThrow(CanceledError);
    await eventually(() => adapter.signals[0]?.signal?.aborted === true);
  });

  it("a stream from a service that goes silent fails with TimeoutError after idleTimeoutMs", async () => {
    // A server that answers the connect, then starts NDJSON streams it never writes to.
    const silent = createServer((req, res) => {
      if (req.url === "/v1/type") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ type: "OpenShell", supportedTargetKinds: ["Agent"] }));
        return;
      }
      if (req.url === "/v1/apply") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ conditions: "Ready" }));
        return;
      }
      res.writeHead(200, { "Content-Type": "application/x-ndjson" });
      res.flushHeaders();
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as { port: number };
      const quiet = await connectAdapterService(`http://127.0.0.1:${port}`, {
        token: generateServiceToken(),
        idleTimeoutMs: 200,
      });
      const statuses = quiet.watch(deployment())[Symbol.asyncIterator]();
      await expect(statuses.next()).rejects.toBeInstanceOf(TimeoutError);
      // An answer that is not the contract's is a ProtocolError, not a silent success.
      await expect(quiet.apply(applyRequest())).rejects.toBeInstanceOf(ProtocolError);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
