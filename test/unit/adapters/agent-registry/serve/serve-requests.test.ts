import { request as httpRequest } from "node:http";
import { NotFoundError, SandboxFailedError, UnavailableError } from "openshell";
import { afterEach, describe, expect, it } from "vitest";
import type { AdapterService } from "../../../../../adapters/agent-registry/serve/serve-adapter.js";
import { applyRequest, errorOf, startService } from "./service-fixtures.js";

let service: AdapterService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function started(options: Parameters<typeof startService>[0] = {}) {
  const started = await startService(options);
  service = started.service;
  return started;
}

describe("serveAdapter authentication", () => {
  it("answers 401 with the Bearer challenge without a header, with a wrong token, or another scheme", async () => {
    const { call, token } = await started();
    const wrong = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const cases: [Record<string, string>, string][] = [
      [{ Authorization: "" }, 'Bearer realm="openshell-adapter"'],
      [{ Authorization: `Bearer ${wrong}` }, 'Bearer realm="openshell-adapter", error="invalid_token"'],
      [{ Authorization: `Bearer ${token}x` }, 'Bearer realm="openshell-adapter", error="invalid_token"'],
      [
        { Authorization: `Basic ${Buffer.from(`user:${token}`).toString("base64")}` },
        'Bearer realm="openshell-adapter"',
      ],
      [{ Authorization: token }, 'Bearer realm="openshell-adapter"'],
    ];
    for (const [headers, challenge] of cases) {
      const response = await call("/v1/apply", { json: applyRequest(), headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe(challenge);
      const text = await response.text();
      expect(JSON.parse(text).error.code).toBe("unauthenticated");
      // The token, right or wrong, is never echoed.
      expect(text).not.toContain(token.slice(0, 16));
    }
  });

  it("checks the token before anything else: an unknown route is 401, not 404", async () => {
    const { call } = await started();
    const response = await call("/v1/nothing", { headers: { Authorization: "" } });
    expect(response.status).toBe(401);
  });

  it("accepts the scheme in any case", async () => {
    const { call, token } = await started();
    const response = await call("/v1/type", { headers: { Authorization: `bearer ${token}` } });
    expect(response.status).toBe(200);
  });
});

describe("serveAdapter request errors", () => {
  it("answers 404 for an unknown route and 405 with Allow for a wrong method", async () => {
    const { call } = await started();
    const unknown = await call("/v1/deploy", { json: {} });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("not_found");
    const wrongMethod = await call("/v1/apply");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    const postType = await call("/v1/type", { json: {} });
    expect(postType.status).toBe(405);
    expect(postType.headers.get("allow")).toBe("GET");
  });

  it("answers 415 for a body that is not declared JSON and 400 naming body for bad JSON", async () => {
    const { call } = await started();
    const text = await call("/v1/apply", {
      method: "POST",
      body: JSON.stringify(applyRequest()),
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);
    const broken = await call("/v1/apply", {
      method: "POST",
      body: '{"deployment": ',
      headers: { "Content-Type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({
      error: { code: "invalid_argument", message: "the request body is not valid JSON", field: "body" },
    });
    const array = await call("/v1/apply", { json: [1, 2] });
    expect((await errorOf(array)).field).toBe("body");
  });

  it("answers 413 for a body over the limit, whether declared or streamed without a length", async () => {
    const { call, service, token } = await started({ maxBodyBytes: 1000 });
    const big = { deployment: { padding: "x".repeat(2000) } };
    const declared = await call("/v1/apply", { json: big });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe("resource_exhausted");
    // Chunked, so the server only learns the size by counting.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${service.url}/v1/apply`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 10; i++) req.write("x".repeat(200));
      req.end();
    });
    expect(status).toBe(413);
  });

  it("maps the adapter's validation errors to 400 with the field", async () => {
    const { call } = await started();
    const { deployment, runtime } = applyRequest();
    const noTarget = await call("/v1/apply", { json: { deployment, runtime } });
    expect(noTarget.status).toBe(400);
    expect(await errorOf(noTarget)).toMatchObject({ code: "invalid_argument", field: "target" });
    const badPort = structuredClone(applyRequest());
    (badPort.deployment.spec as { runtimeConfig: { port: unknown } }).runtimeConfig.port = "eighty";
    const wrongType = await call("/v1/apply", { json: badPort });
    expect((await errorOf(wrongType)).field).toBe("deployment.spec.runtimeConfig.port");
    const noDeployment = await call("/v1/logs", { json: { follow: true } });
    expect(noDeployment.status).toBe(400);
    expect((await errorOf(noDeployment)).field).toBe("deployment");
    const badTail = await call("/v1/logs", { json: { deployment, tailLines: -1 } });
    expect((await errorOf(badTail)).field).toBe("tailLines");
    const badMessage = await call("/v1/invoke", { json: { deployment, message: 42 } });
    expect((await errorOf(badMessage)).field).toBe("message");
  });

  it("maps NotFoundError to 404, also for a stream that fails before its first line", async () => {
    const { call, adapter } = await started();
    const { deployment } = applyRequest();
    const invoke = await call("/v1/invoke", { json: { deployment, message: "hi" } });
    expect(invoke.status).toBe(404);
    expect((await errorOf(invoke)).code).toBe("not_found");
    const logs = await call("/v1/logs", { json: { deployment } });
    expect(logs.status).toBe(404);
    expect(logs.headers.get("content-type")).toMatch(/^application\/json/);
    adapter.failure = new NotFoundError("gone");
    expect((await call("/v1/remove", { json: applyRequest() })).status).toBe(404);
  });

  it("keeps the code of other SDK errors, and hides everything of a non-SDK error", async () => {
    const { call, adapter } = await started();
    adapter.failure = new UnavailableError("the gateway at 127.0.0.1:8080 does not answer; start it");
    const unavailable = await call("/v1/apply", { json: applyRequest() });
    expect(unavailable.status).toBe(503);
    expect((await errorOf(unavailable)).code).toBe("unavailable");
    adapter.failure = new SandboxFailedError({
      sandboxName: "ar-x",
      phase: "error",
      reason: "MainProcessExited",
      detail: undefined,
      exitCode: 3,
    });
    const failed = await call("/v1/apply", { json: applyRequest() });
    expect(failed.status).toBe(500);
    expect(await errorOf(failed)).toMatchObject({
      code: "sandbox_failed",
      message: expect.stringContaining("exit code 3"),
    });
    adapter.failure = new TypeError(
      "Cannot read properties of undefined (reading 'secretKey') at /srv/adapter.js:12",
    );
    const bug = await call("/v1/apply", { json: applyRequest() });
    expect(bug.status).toBe(500);
    const text = await bug.text();
    expect(JSON.parse(text).error.code).toBe("internal");
    expect(text).not.toContain("secretKey");
    expect(text).not.toContain("adapter.js");
  });
});
