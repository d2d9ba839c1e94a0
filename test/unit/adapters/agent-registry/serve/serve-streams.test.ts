import { getEventListeners } from "node:events";
import { request as httpRequest } from "node:http";
import type { LogLine } from "openshell/adapters/agent-registry";
import { afterEach, describe, expect, it } from "vitest";
import type { AdapterService } from "../../../../../adapters/agent-registry/serve/serve-adapter.js";
import type { MemoryAdapter, StreamRecord } from "./memory-adapter.js";
import {
  applyRequest,
  errorOf,
  eventually,
  fixtureSandbox,
  ndjsonLines,
  startService,
} from "./service-fixtures.js";

let service: AdapterService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function deployed(options: Parameters<typeof startService>[0] = {}) {
  const started = await startService(options);
  service = started.service;
  await started.call("/v1/apply", { json: applyRequest() });
  return started;
}

/** The adapter ended the stream, its signal fired, and nobody still listens on that signal. */
function expectReleased(record: StreamRecord | undefined): void {
  expect(record?.ended).toBe(true);
  expect(record?.signal?.aborted).toBe(true);
  expect(getEventListeners(record!.signal!, "abort")).toHaveLength(0);
}

const lastStream = (adapter: MemoryAdapter) => adapter.streams.at(-1);

describe("serveAdapter NDJSON streams", () => {
  it("follows logs line by line as they are written, and a client abort closes the adapter's iterable", async () => {
    const { call, adapter } = await deployed();
    adapter.appendLog(fixtureSandbox(), "before");
    const controller = new AbortController();
    const response = await call("/v1/logs", {
      json: { deployment: applyRequest().deployment, follow: true },
      signal: controller.signal,
    });
    const lines = ndjsonLines(response);
    expect((JSON.parse((await lines.next())!) as LogLine).line).toBe("before");
    for (const text of ["one", "two"]) {
      adapter.appendLog(fixtureSandbox(), text, "stderr");
      expect(JSON.parse((await lines.next())!)).toMatchObject({ stream: "stderr", line: text });
    }
    const record = lastStream(adapter);
    expect(record?.ended).toBe(false);
    controller.abort();
    await eventually(() => record?.ended === true);
    expectReleased(record);
  });

  it("watches closed by their clients release the adapter's iterables, many at once, with no listener warning", async () => {
    const { call, adapter } = await deployed();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      // More streams at once than an AbortSignal's listener warning threshold (10): the service must
      // neither leak a listener per stream nor stack them on one shared signal.
      const controllers = Array.from({ length: 15 }, () => new AbortController());
      await Promise.all(
        controllers.map(async (controller) => {
          const response = await call("/v1/watch", {
            json: { deployment: applyRequest().deployment },
            signal: controller.signal,
          });
          await ndjsonLines(response).next();
        }),
      );
      expect(adapter.streams.filter((record) => !record.ended)).toHaveLength(15);
      for (const controller of controllers) controller.abort();
      await eventually(() => adapter.streams.every((record) => record.ended));
      for (const record of adapter.streams) expectReleased(record);
      expect((await call("/v1/type")).status).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("close() ends open streams with an unavailable line, aborts their iterables and resolves", async () => {
    const { call, adapter, service } = await deployed();
    const logs = ndjsonLines(
      await call("/v1/logs", { json: { deployment: applyRequest().deployment, follow: true } }),
    );
    const watch = ndjsonLines(await call("/v1/watch", { json: { deployment: applyRequest().deployment } }));
    await watch.next();
    await service.close();
    expect(JSON.parse((await logs.next())!)).toEqual({
      error: { code: "unavailable", message: expect.stringContaining("closing") },
    });
    expect(await logs.next()).toBeUndefined();
    expect(JSON.parse((await watch.next())!).error.code).toBe("unavailable");
    expect(await watch.next()).toBeUndefined();
    expect(adapter.streams).toHaveLength(2);
    await eventually(() => adapter.streams.every((record) => record.ended));
    for (const record of adapter.streams) expectReleased(record);
    await expect(call("/v1/type")).rejects.toThrow();
  });

  it("a stream of lines larger than the response buffer waits for drain each time without stacking listeners", async () => {
    const { call, adapter } = await deployed();
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 30; i++) adapter.appendLog(fixtureSandbox(), `${i}:${big}`);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const response = await call("/v1/logs", { json: { deployment: applyRequest().deployment } });
      const lines = (await response.text()).trimEnd().split("\n");
      expect(lines.map((line) => (JSON.parse(line) as LogLine).line.split(":")[0])).toEqual(
        Array.from({ length: 30 }, (_, i) => String(i)),
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("an idle stream sends empty heartbeat lines", async () => {
    const { call } = await deployed({ heartbeatMs: 50 });
    const controller = new AbortController();
    const lines = ndjsonLines(
      await call("/v1/logs", {
        json: { deployment: applyRequest().deployment, follow: true },
        signal: controller.signal,
      }),
    );
    expect(await lines.next()).toBe("");
    expect(await lines.next()).toBe("");
    controller.abort();
  });

  it("a stream that ends by itself closes its response (logs without follow, watch of a removed deployment)", async () => {
    const { call, adapter } = await deployed();
    const watch = ndjsonLines(await call("/v1/watch", { json: { deployment: applyRequest().deployment } }));
    await watch.next();
    const { deployment, runtime } = applyRequest();
    await call("/v1/remove", { json: { deployment, runtime } });
    expect(JSON.parse((await watch.next())!).conditions[0]).toMatchObject({
      type: "Ready",
      reason: "Removed",
    });
    expect(await watch.next()).toBeUndefined();
    expect(lastStream(adapter)?.ended).toBe(true);
  });
});

describe("serveAdapter cancellation of unary calls", () => {
  it("a client that goes away cancels the adapter's apply through its signal", async () => {
    const { call, adapter } = await deployed();
    let open = () => {};
    adapter.applyGate = new Promise((resolve) => {
      open = resolve;
    });
    const controller = new AbortController();
    const pending = call("/v1/apply", { json: applyRequest(), signal: controller.signal });
    await eventually(() => adapter.signals.filter((s) => s.method === "apply").length === 2);
    const signal = adapter.signals.at(-1)?.signal;
    expect(signal?.aborted).toBe(false);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await eventually(() => signal?.aborted === true);
    expect(getEventListeners(signal!, "abort")).toHaveLength(0);
    open();
  });

  it("close() cancels a call in flight and answers it 503 unavailable", async () => {
    const { call, adapter, service } = await deployed();
    adapter.applyGate = new Promise(() => {});
    const pending = call("/v1/apply", { json: applyRequest() });
    await eventually(() => adapter.signals.filter((s) => s.method === "apply").length === 2);
    await service.close();
    const response = await pending;
    expect(response.status).toBe(503);
    expect((await errorOf(response)).code).toBe("unavailable");
    expect(adapter.signals.at(-1)?.signal?.aborted).toBe(true);
  });

  it("close() does not wait for a request still being sent, nor for an adapter call that ignores its signal", async () => {
    const { call, adapter, service, token } = await deployed({ closeGraceMs: 100 });
    adapter.stuck = true;
    const stuck = call("/v1/apply", { json: applyRequest() });
    await eventually(() => adapter.signals.filter((s) => s.method === "apply").length === 2);
    const halfSent = httpRequest(`${service.url}/v1/apply`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    });
    const halfSentEnded = new Promise((resolve) => {
      halfSent.on("error", resolve);
      halfSent.on("response", resolve);
    });
    halfSent.write('{"deployment": {');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await service.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(stuck).rejects.toThrow();
    await halfSentEnded;
    expect(adapter.signals.at(-1)?.signal?.aborted).toBe(true);
  });

  it("the signal option closes the service", async () => {
    const controller = new AbortController();
    const { call } = await deployed({ signal: controller.signal });
    expect((await call("/v1/type")).status).toBe(200);
    controller.abort();
    await expect(
      (async () => {
        for (;;) {
          await call("/v1/type");
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })(),
    ).rejects.toThrow();
  });
});
