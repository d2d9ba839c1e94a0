import {
  type AdapterApplyResult,
  type AdapterRemoveResult,
  desiredFingerprint,
  findCondition,
  type LogLine,
} from "openshell/adapters/agent-registry";
import { afterEach, describe, expect, it } from "vitest";
import type { AdapterService } from "../../../../../adapters/agent-registry/serve/serve-adapter.js";
import { applyRequest, fixture, fixtureSandbox, ndjsonLines, startService } from "./service-fixtures.js";

let service: AdapterService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function started() {
  const started = await startService();
  service = started.service;
  return started;
}

describe("serveAdapter routes", () => {
  it("GET /v1/type answers the adapter's type and target kinds", async () => {
    const { call } = await started();
    const response = await call("/v1/type");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      type: "OpenShell",
      supportedTargetKinds: ["Agent", "MCPServer"],
    });
  });

  it("POST /v1/apply answers Progressing with the sandbox in runtimeMetadata", async () => {
    const { call } = await started();
    const response = await call("/v1/apply", { json: applyRequest() });
    expect(response.status).toBe(200);
    const body = (await response.json()) as AdapterApplyResult;
    expect(findCondition(body.conditions, "Progressing")).toMatchObject({
      status: "True",
      reason: "SandboxCreating",
    });
    expect(body.runtimeMetadata).toEqual({ sandboxName: fixtureSandbox() });
    expect(body.details).toEqual({ image: "ghcr.io/acme/echo-agent:1.2.0" });
  });

  it("POST /v1/remove answers Ready=False Removed, also for a deployment never applied", async () => {
    const { call, adapter } = await started();
    await call("/v1/apply", { json: applyRequest() });
    const { deployment, runtime } = applyRequest();
    for (let i = 0; i < 2; i++) {
      const response = await call("/v1/remove", { json: { deployment, runtime } });
      expect(response.status).toBe(200);
      expect(
        findCondition(((await response.json()) as AdapterRemoveResult).conditions, "Ready"),
      ).toMatchObject({
        status: "False",
        reason: "Removed",
      });
    }
    expect(findCondition(adapter.conditionsOf(fixtureSandbox()), "Ready")?.reason).toBe("Removed");
  });

  it("POST /v1/discover answers { targets }", async () => {
    const { call, adapter } = await started();
    adapter.discovered = [
      { targetKind: "Agent", namespace: "", name: "stray", runtimeMetadata: { sandboxName: "stray" } },
    ];
    const response = await call("/v1/discover", { json: { runtime: fixture("runtime-local.json") } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ targets: adapter.discovered });
  });

  it("POST /v1/fingerprint answers the adapter's desiredFingerprint", async () => {
    const { call } = await started();
    const response = await call("/v1/fingerprint", { json: applyRequest() });
    expect(await response.json()).toEqual({ fingerprint: desiredFingerprint(applyRequest()) });
  });

  it("POST /v1/invoke sends a string or an A2A JSON message and answers { message } in A2A JSON", async () => {
    const { call } = await started();
    await call("/v1/apply", { json: applyRequest() });
    const { deployment } = applyRequest();
    const asText = await call("/v1/invoke", { json: { deployment, message: "hello" } });
    expect(asText.status).toBe(200);
    expect(await asText.json()).toEqual({
      message: {
        messageId: "reply-1",
        contextId: "context-1",
        role: "ROLE_AGENT",
        parts: [{ text: "echo: hello", mediaType: "text/plain" }],
      },
    });
    const message = { messageId: "m1", role: "ROLE_USER", parts: [{ text: "hi there" }] };
    const asMessage = await call("/v1/invoke", { json: { deployment, message } });
    expect(((await asMessage.json()) as { message: { parts: unknown } }).message.parts).toEqual([
      { text: "echo: hi there", mediaType: "text/plain" },
    ]);
  });

  it("POST /v1/watch streams the status now, then each change, as NDJSON", async () => {
    const { call, adapter } = await started();
    await call("/v1/apply", { json: applyRequest() });
    const controller = new AbortController();
    const response = await call("/v1/watch", {
      json: { deployment: applyRequest().deployment },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = ndjsonLines(response);
    const first = JSON.parse((await lines.next())!);
    expect(findCondition(first.conditions, "Progressing")?.status).toBe("True");
    adapter.converge(fixtureSandbox(), {
      type: "Ready",
      status: "True",
      reason: "AgentAnswering",
      message: "ok",
    });
    const second = JSON.parse((await lines.next())!);
    expect(findCondition(second.conditions, "Ready")).toMatchObject({
      status: "True",
      reason: "AgentAnswering",
    });
    expect(second.runtimeMetadata).toEqual({ sandboxName: fixtureSandbox() });
    controller.abort();
  });

  it("POST /v1/logs with tailLines answers the last lines and ends", async () => {
    const { call, adapter } = await started();
    await call("/v1/apply", { json: applyRequest() });
    for (const line of ["one", "two", "three"]) adapter.appendLog(fixtureSandbox(), line);
    const response = await call("/v1/logs", {
      json: { deployment: applyRequest().deployment, tailLines: 2 },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    const lines = text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as LogLine);
    expect(lines.map((l) => l.line)).toEqual(["two", "three"]);
    expect(lines[0]).toEqual({ timestamp: expect.any(String), stream: "stdout", line: "two" });
  });
});
