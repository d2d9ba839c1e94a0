import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { compileEgressPolicy } from "../../../../src/local/egress/egress-policy.js";
import {
  type EgressClient,
  type EgressEvent,
  EgressProxy,
} from "../../../../src/local/egress/egress-proxy.js";
import type { OutboundRequest, RequestRewriter } from "../../../../src/local/egress/request-rewrite.js";
import { rawRequest, readUntil, startUpstream, type Upstream, viaProxy } from "./proxy-clients.js";

/**
 * The egress proxy's request-rewrite hook on plain http:// requests (the TLS-terminated ones are in
 * tls-termination.test.ts): a rewriter written here that swaps a placeholder in a header and the
 * path, refuses a marked request, or throws.
 */

let upstream: Upstream;
let proxy: EgressProxy;
let events: EgressEvent[];
let seen: { client: EgressClient; request: OutboundRequest }[];

const rewriter: RequestRewriter = (client, request) => {
  seen.push({ client, request });
  if (request.pathAndQuery.startsWith("/boom")) throw new Error("vault unreachable");
  if (request.pathAndQuery.startsWith("/refuse")) {
    return {
      kind: "refused",
      status: 403,
      code: "credential_endpoint_mismatch",
      message: "KEY is not bound to api.test",
    };
  }
  const headers = [...request.rawHeaders];
  const i = headers.findIndex((h, n) => n % 2 === 0 && h.toLowerCase() === "authorization");
  if (i < 0) return { kind: "unchanged" };
  headers[i + 1] = (headers[i + 1] as string).replace("PLACEHOLDER", "real-secret");
  return {
    kind: "rewritten",
    pathAndQuery: request.pathAndQuery.replace("PLACEHOLDER", "real"),
    rawHeaders: headers,
  };
};

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});
beforeEach(async () => {
  events = [];
  seen = [];
  const { networkPolicies } = create(SandboxPolicySchema, {
    networkPolicies: { api: { endpoints: [{ host: "api.test", port: upstream.port }] } },
  });
  const client = { sandboxId: "sb-1", sandboxName: "agent", policy: compileEgressPolicy(networkPolicies) };
  proxy = await EgressProxy.listen({
    host: "127.0.0.1",
    identify: () => client,
    resolve: (host) => (host === "api.test" ? "127.0.0.1" : undefined),
    onEvent: (event) => events.push(event),
    rewrite: rewriter,
  });
});
afterEach(async () => {
  await proxy.close();
});

const url = (path: string) => `http://api.test:${upstream.port}${path}`;

describe("EgressProxy: request rewriter on plain HTTP", () => {
  it("forwards an unchanged request as it came, after showing the rewriter the request the policy allowed", async () => {
    const answer = await viaProxy(proxy, { url: url("/v1/items?x=1"), headers: { "x-keep": "1" } });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ url: "/v1/items?x=1", headers: { "x-keep": "1" } });
    expect(seen).toHaveLength(1);
    const request = seen[0]?.request;
    expect(request).toMatchObject({
      host: "api.test",
      port: upstream.port,
      method: "GET",
      pathAndQuery: "/v1/items?x=1",
      tls: false,
      decision: { allowed: true, rule: "api" },
    });
    expect(request?.rawHeaders).toContain("x-keep");
    expect(seen[0]?.client.sandboxName).toBe("agent");
  });

  it("sends the rewritten path and headers upstream", async () => {
    const answer = await viaProxy(proxy, {
      url: url("/v1/PLACEHOLDER/items"),
      headers: { authorization: "Bearer PLACEHOLDER" },
    });
    expect(answer.status).toBe(200);
    const received = JSON.parse(answer.body);
    expect(received.url).toBe("/v1/real/items");
    expect(received.headers.authorization).toBe("Bearer real-secret");
    expect(events.map((e) => e.outcome)).toEqual(["upstream answered 200"]);
  });

  it("answers a refusal with its status and a JSON body, reports it denied, and never contacts the upstream", async () => {
    const before = upstream.connections;
    const answer = await viaProxy(proxy, { url: url("/refuse") });
    expect(answer.status).toBe(403);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.headers["x-openshell-egress"]).toBe("denied");
    expect(JSON.parse(answer.body)).toEqual({
      code: "credential_endpoint_mismatch",
      message: "KEY is not bound to api.test",
    });
    expect(upstream.connections).toBe(before);
    expect(events).toHaveLength(1);
    expect(events[0]?.decision).toEqual({
      allowed: false,
      audited: false,
      rule: "api",
      reason: "credential_endpoint_mismatch: KEY is not bound to api.test",
      // Told apart from a policy denial: the policy advisor proposes no rule for it.
      deniedBy: "credential",
    });
  });

  it("answers 500 when the rewriter throws, and reports why", async () => {
    const answer = await viaProxy(proxy, { url: url("/boom") });
    expect(answer.status).toBe(500);
    expect(answer.body).toBe(
      "openshell egress proxy: the gateway could not prepare this request; see the gateway log\n",
    );
    expect(events[0]?.outcome).toBe("request rewrite failed: vault unreachable");
  });

  it("is not asked about requests the policy denied", async () => {
    const answer = await viaProxy(proxy, { url: "http://elsewhere.test/x" });
    expect(answer.status).toBe(403);
    expect(seen).toEqual([]);
  });

  it("is asked about websocket upgrades too: rewritten headers reach the upstream, a refusal answers on the raw connection", async () => {
    const upgrade = (path: string, auth: string) =>
      rawRequest(
        proxy,
        `GET http://api.test:${upstream.port}${path} HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade\r\n` +
          `Upgrade: websocket\r\nAuthorization: ${auth}\r\nSec-WebSocket-Key: k\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    const ok = await upgrade("/ws", "Bearer PLACEHOLDER");
    expect(await readUntil(ok, (t) => t.includes("\r\n\r\n"))).toMatch(/^HTTP\/1.1 101 Switching Protocols/);
    ok.destroy();
    expect(seen.at(-1)?.request.rawHeaders).toContain("Bearer PLACEHOLDER");
    const refused = await upgrade("/refuse", "Bearer x");
    const text = await readUntil(refused, () => false);
    expect(text).toMatch(/^HTTP\/1.1 403 Forbidden\r\ncontent-type: application\/json/);
    expect(text).toContain(
      '{"code":"credential_endpoint_mismatch","message":"KEY is not bound to api.test"}',
    );
  });
});
