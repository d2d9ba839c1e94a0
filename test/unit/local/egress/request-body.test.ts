import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { MAX_REWRITE_BODY_BYTES } from "../../../../src/local/credentials/body-rewrite.js";
import { rewriteCredentials } from "../../../../src/local/credentials/credential-rewrite.js";
import { placeholderFor } from "../../../../src/local/credentials/placeholders.js";
import { compileEgressPolicy } from "../../../../src/local/egress/egress-policy.js";
import { type EgressEvent, EgressProxy } from "../../../../src/local/egress/egress-proxy.js";
import { connectVia, rawRequest, readUntil, viaProxy } from "./proxy-clients.js";

/**
 * The egress proxy with request_body_credential_rewrite on plain http:// requests, through the real
 * credential rewriter: what the upstream receives (body and framing), and what the sandbox sees when
 * a body is not forwarded. The TLS path is the same step (rewrite-step.ts), run by
 * the real-engine TLS suite.
 */

const SECRET = "xoxb-REAL-slack-token";
const P = placeholderFor("SLACK_TOKEN", 7n);

interface Seen {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let upstream: http.Server;
let port: number;
let received: Seen[];
/** What the upstream had of each request cut off before its body ended. */
let cut: string[];
let proxy: EgressProxy;
let events: EgressEvent[];

beforeAll(async () => {
  upstream = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      cut.push(Buffer.concat(chunks).toString());
      return;
    }
    received.push({ method: req.method ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  upstream.listen(0, "127.0.0.1");
  await new Promise((resolve) => upstream.once("listening", resolve));
  port = (upstream.address() as AddressInfo).port;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});
beforeEach(async () => {
  received = [];
  cut = [];
  events = [];
  const { networkPolicies } = create(SandboxPolicySchema, {
    networkPolicies: {
      body: {
        endpoints: [
          { host: "body.test", port, protocol: "rest", access: "full", requestBodyCredentialRewrite: true },
        ],
      },
      plain: { endpoints: [{ host: "plain.test", port, protocol: "rest", access: "full" }] },
      open: {
        endpoints: [
          { host: "open.test", port, protocol: "rest", access: "full", allowUninspectedCredentials: true },
        ],
      },
      l4: { endpoints: [{ host: "l4.test", port }] },
    },
  });
  const client = { sandboxId: "sb-1", sandboxName: "agent", policy: compileEgressPolicy(networkPolicies) };
  proxy = await EgressProxy.listen({
    host: "127.0.0.1",
    identify: () => client,
    resolve: (host) => (host.endsWith(".test") ? "127.0.0.1" : undefined),
    onEvent: (event) => events.push(event),
    rewrite: (_client, request) =>
      rewriteCredentials(request, () => (p) => {
        if (p.key !== "SLACK_TOKEN") return { kind: "unavailable", why: `nothing holds ${p.key}` };
        return request.host === "body.test" ? { kind: "value", value: SECRET } : { kind: "mismatch" };
      }),
  });
});
afterEach(async () => {
  await proxy.close();
});

const url = (host: string, path = "/api/chat.postMessage") => `http://${host}:${port}${path}`;
const json = { "content-type": "application/json" };
/** All the proxy answers on a raw connection until it closes; a reset (unread upload bytes) answers nothing. */
const answerOn = (socket: Socket) => readUntil(socket, () => false).catch(() => "");

describe("EgressProxy: request_body_credential_rewrite on plain HTTP", () => {
  it("sends a JSON body with the real value and its new Content-Length", async () => {
    const body = JSON.stringify({ token: P, text: "hi" });
    const answer = await viaProxy(proxy, { method: "POST", url: url("body.test"), headers: json, body });
    expect(answer.status).toBe(200);
    const expected = JSON.stringify({ token: SECRET, text: "hi" });
    expect(received[0]?.body).toBe(expected);
    expect(received[0]?.headers["content-length"]).toBe(String(expected.length));
    expect(events.map((e) => e.outcome)).toEqual(["upstream answered 200"]);
  });

  it("sends a chunked body as one with a Content-Length, as upstream does", async () => {
    const socket = await rawRequest(
      proxy,
      `POST ${url("body.test")} HTTP/1.1\r\nHost: body.test\r\nContent-Type: text/plain\r\n` +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nkey: \r\n${P.length.toString(16)}\r\n${P}\r\n0\r\n\r\n`,
    );
    const text = await readUntil(socket, () => false);
    expect(text).toMatch(/^HTTP\/1.1 200/);
    expect(received[0]?.body).toBe(`key: ${SECRET}`);
    expect(received[0]?.headers["content-length"]).toBe(String(`key: ${SECRET}`.length));
    expect(received[0]?.headers["transfer-encoding"]).toBeUndefined();
  });

  it("cuts off a streamed body that shows a placeholder where the endpoint has no flag, before passing it on", async () => {
    const lead = "x".repeat(100_000);
    const socket = await rawRequest(
      proxy,
      `POST ${url("plain.test")} HTTP/1.1\r\nHost: plain.test\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${lead.length + P.length + 2}\r\n\r\n${lead}`,
    );
    socket.on("error", () => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(`"${P}"`);
    expect(await answerOn(socket)).toBe("");
    expect(received).toEqual([]);
    // What reached the upstream is a prefix of the body without any of the placeholder.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cut.join("")).not.toContain("openshell");
    expect(lead.startsWith(cut.join(""))).toBe(true);
    expect(events.at(-1)?.decision).toMatchObject({ allowed: false, deniedBy: "credential" });
    expect(events.at(-1)?.decision.reason).toMatch(/has no request_body_credential_rewrite/);
  });

  it("streams a body without a placeholder whole on that endpoint", async () => {
    const body = JSON.stringify({ text: "x".repeat(300_000) });
    const answer = await viaProxy(proxy, { method: "POST", url: url("plain.test"), headers: json, body });
    expect(answer.status).toBe(200);
    expect(received[0]?.body).toBe(body);
  });

  it("streams the body unread, placeholder and all, with allow_uninspected_credentials or without a protocol", async () => {
    const body = JSON.stringify({ token: P });
    for (const host of ["open.test", "l4.test"]) {
      const answer = await viaProxy(proxy, { method: "POST", url: url(host), headers: json, body });
      expect(answer.status).toBe(200);
      expect(received.at(-1)?.body).toBe(body);
    }
  });

  it("answers 403 credential_endpoint_mismatch for a body placeholder not bound to the host, sending nothing", async () => {
    const { networkPolicies } = create(SandboxPolicySchema, {
      networkPolicies: {
        other: {
          endpoints: [
            {
              host: "other.test",
              port,
              protocol: "rest",
              access: "full",
              requestBodyCredentialRewrite: true,
            },
          ],
        },
      },
    });
    await proxy.close();
    const client = { sandboxId: "sb-1", sandboxName: "agent", policy: compileEgressPolicy(networkPolicies) };
    proxy = await EgressProxy.listen({
      host: "127.0.0.1",
      identify: () => client,
      resolve: () => "127.0.0.1",
      onEvent: (event) => events.push(event),
      rewrite: (_c, request) => rewriteCredentials(request, () => () => ({ kind: "mismatch" })),
    });
    const body = JSON.stringify({ token: P });
    const answer = await viaProxy(proxy, { method: "POST", url: url("other.test"), headers: json, body });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).code).toBe("credential_endpoint_mismatch");
    expect(received).toEqual([]);
  });

  it("rewrites a body of exactly 256 KiB", async () => {
    const frame = `{"token":"${P}","pad":""}`;
    const body = frame.replace('""', `"${"a".repeat(MAX_REWRITE_BODY_BYTES - frame.length)}"`);
    expect(body.length).toBe(MAX_REWRITE_BODY_BYTES);
    const answer = await viaProxy(proxy, { method: "POST", url: url("body.test"), headers: json, body });
    expect(answer.status).toBe(200);
    expect(received[0]?.body).toBe(body.replace(P, SECRET));
  });

  it("closes the connection unanswered for a Content-Length above 256 KiB, before reading it", async () => {
    const socket = await rawRequest(
      proxy,
      `POST ${url("body.test")} HTTP/1.1\r\nHost: body.test\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${MAX_REWRITE_BODY_BYTES + 1}\r\n\r\n{"token":"`,
    );
    expect(await answerOn(socket)).toBe("");
    expect(received).toEqual([]);
    expect(events[0]?.decision).toMatchObject({ allowed: false, deniedBy: "credential" });
    expect(events[0]?.decision.reason).toMatch(/its body is 262145 bytes, above the 262144 bytes/);
  });

  it("answers a header placeholder it cannot resolve before reading the body, however large, as upstream", async () => {
    const socket = await rawRequest(
      proxy,
      `POST ${url("body.test")} HTTP/1.1\r\nHost: body.test\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${placeholderFor("OTHER_KEY", 1n)}\r\n` +
        `Content-Length: ${MAX_REWRITE_BODY_BYTES * 4}\r\nConnection: close\r\n\r\n{"a":`,
    );
    socket.on("error", () => {});
    const text = await readUntil(socket, (t) => t.includes("}\n"));
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1.1 500/);
    expect(text).toContain('"code":"credential_injection_failed"');
    expect(text).toContain("nothing holds OTHER_KEY");
    expect(received).toEqual([]);
  });

  it("closes the connection unanswered once a chunked body passes 256 KiB; 192 KiB goes", async () => {
    const chunk = "a".repeat(64 * 1024);
    const send = async (chunks: number) => {
      const socket = await rawRequest(
        proxy,
        `POST ${url("body.test")} HTTP/1.1\r\nHost: body.test\r\nContent-Type: text/plain\r\n` +
          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      );
      socket.on("error", () => {});
      for (let i = 0; i < chunks; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      socket.write("0\r\n\r\n");
      return answerOn(socket);
    };
    // Not right at the bound: upstream counts a chunked body's framing against it too, local mode
    // (which gets the body decoded from Node) its payload alone.
    expect(await send(3)).toMatch(/^HTTP\/1.1 200/);
    expect(received[0]?.body.length).toBe(3 * 64 * 1024);
    expect(await send(5)).toBe("");
    expect(received).toHaveLength(1);
    expect(events.at(-1)?.decision.reason).toMatch(/chunked body passed the 262144 bytes/);
  });

  it("closes the connection unanswered for a body it cannot rewrite, and says why", async () => {
    const socket = await rawRequest(
      proxy,
      `POST ${url("body.test")} HTTP/1.1\r\nHost: body.test\r\nContent-Type: application/octet-stream\r\n` +
        `Content-Length: ${P.length}\r\n\r\n${P}`,
    );
    expect(await answerOn(socket)).toBe("");
    expect(received).toEqual([]);
    expect(events[0]?.decision.reason).toMatch(/only application\/json/);
  });

  it("reads plain HTTP inside a CONNECT to the flagged endpoint as well (access full alone would relay it unread)", async () => {
    const { socket, head } = await connectVia(proxy, `body.test:${port}`);
    expect(head).toMatch(/^HTTP\/1.1 200/);
    const body = `{"token":"${P}"}`;
    socket.write(
      `POST /api/chat.postMessage HTTP/1.1\r\nHost: body.test\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(await readUntil(socket, () => false)).toMatch(/^HTTP\/1.1 200/);
    expect(received[0]?.body).toBe(`{"token":"${SECRET}"}`);
  });

  it("lets requests without a body through on the flagged endpoint", async () => {
    const answer = await viaProxy(proxy, { url: url("body.test", "/api/auth.test") });
    expect(answer.status).toBe(200);
    expect(received[0]?.method).toBe("GET");
  });
});
