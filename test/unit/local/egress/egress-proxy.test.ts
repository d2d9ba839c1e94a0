import { once } from "node:events";
import * as http from "node:http";
import * as tls from "node:tls";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type NetworkPolicyRuleSchema,
  SandboxPolicySchema,
} from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { compileEgressPolicy } from "../../../../src/local/egress/egress-policy.js";
import {
  type EgressClient,
  type EgressEvent,
  EgressProxy,
  type EgressProxyOptions,
  type LocalService,
} from "../../../../src/local/egress/egress-proxy.js";
import { createCertificateAuthority, issueServerCertificate } from "../../../support/certs.js";
import {
  closedPort,
  connectVia,
  rawRequest,
  readUntil,
  startEcho,
  startUpstream,
  type Upstream,
  viaProxy,
} from "./proxy-clients.js";

let upstream: Upstream;
let echo: Awaited<ReturnType<typeof startEcho>>;
let downPort: number;
let client: EgressClient;
let proxy: EgressProxy;
let events: EgressEvent[];
let known: boolean;
let resolved: string[];

const hosts: Record<string, string> = {
  "api.test": "127.0.0.1",
  "ro.test": "127.0.0.1",
  "audit.test": "127.0.0.1",
  "rules.test": "127.0.0.1",
  "echo.test": "127.0.0.1",
  "down.test": "127.0.0.1",
  "ws.test": "127.0.0.1",
  "evil.test": "127.0.0.1",
  "self.test": "127.0.0.1",
};

function policy() {
  const rules: Record<string, MessageInitShape<typeof NetworkPolicyRuleSchema>> = {
    api: { endpoints: [{ host: "api.test", port: upstream.port }] },
    ro: {
      endpoints: [{ host: "ro.test", port: upstream.port, access: "read-only", enforcement: "enforce" }],
    },
    audit: {
      endpoints: [{ host: "audit.test", port: upstream.port, access: "read-only", enforcement: "audit" }],
    },
    rules: {
      endpoints: [
        {
          host: "rules.test",
          port: upstream.port,
          rules: [{ allow: { method: "GET", path: "/repos/**" } }],
          denyRules: [{ method: "*", path: "/repos/private/**" }],
          enforcement: "enforce",
        },
      ],
    },
    echo: { endpoints: [{ host: "echo.test", port: echo.port }] },
    tunnelL7: { endpoints: [{ host: "ro.test", port: echo.port, access: "read-only" }] },
    down: { endpoints: [{ host: "down.test", ports: [downPort] }] },
    ws: {
      endpoints: [{ host: "ws.test", port: upstream.port, protocol: "websocket", access: "read-write" }],
    },
    wsro: {
      endpoints: [{ host: "ws-ro.test", port: upstream.port, access: "read-only", enforcement: "enforce" }],
    },
    unresolvable: { endpoints: [{ host: "nothing.invalid", port: 80 }] },
    // Hostless: any host whose address is in allowed_ips, which here the proxy must still refuse.
    hostBlocks: { endpoints: [{ port: 81, allowedIps: ["127.0.0.0/8", "::1/128", "169.254.0.0/16"] }] },
  };
  const { networkPolicies } = create(SandboxPolicySchema, { networkPolicies: rules });
  return compileEgressPolicy(networkPolicies);
}

async function listen(overrides: Partial<EgressProxyOptions> = {}): Promise<EgressProxy> {
  return EgressProxy.listen({
    host: "127.0.0.1",
    identify: (remote) => (known && remote === "127.0.0.1" ? client : undefined),
    resolve: (host) => {
      resolved.push(host);
      return hosts[host];
    },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
}

const url = (host: string, path = "/", port = upstream.port) => `http://${host}:${port}${path}`;

beforeAll(async () => {
  upstream = await startUpstream();
  echo = await startEcho();
  downPort = await closedPort();
  client = { sandboxId: "sb-1", sandboxName: "agent", policy: policy() };
});
afterAll(async () => {
  await upstream.close();
  await echo.close();
});
beforeEach(async () => {
  events = [];
  resolved = [];
  known = true;
  proxy = await listen();
});
afterEach(async () => {
  await proxy.close();
});

describe("EgressProxy: plain HTTP", () => {
  it("forwards an allowed GET, with the URL's host and without the proxy's headers", async () => {
    const answer = await viaProxy(proxy, {
      url: url("api.test", "/v1/items?token=s3cret"),
      headers: { "proxy-authorization": "Basic c2VjcmV0", host: "elsewhere.test", "x-keep": "1" },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers["x-upstream"]).toBe("yes");
    const received = JSON.parse(answer.body);
    expect(received.url).toBe("/v1/items?token=s3cret");
    expect(received.headers.host).toBe(`api.test:${upstream.port}`);
    expect(received.headers["x-keep"]).toBe("1");
    expect(received.headers["proxy-authorization"]).toBeUndefined();
    expect(events).toEqual([
      {
        client,
        remoteAddress: "127.0.0.1",
        request: { host: "api.test", port: upstream.port, kind: "http", method: "GET", path: "/v1/items" },
        decision: {
          allowed: true,
          audited: false,
          rule: "api",
          tunnel: "l4",
          reason: 'allowed by rule "api"',
        },
        outcome: "upstream answered 200",
      },
    ]);
    // Events carry neither headers nor query strings: either may hold a credential.
    expect(JSON.stringify(events)).not.toMatch(/s3cret|c2VjcmV0/);
  });

  it("streams request and response bodies (POST of 2 MiB)", async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 7);
    const answer = await viaProxy(proxy, { method: "POST", url: url("api.test", "/upload"), body });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ method: "POST", bodyBytes: body.length });
  });

  it("reuses upstream connections across requests", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = upstream.connections;
    for (let i = 0; i < 5; i++)
      expect((await viaProxy(proxy, { url: url("api.test"), agent })).status).toBe(200);
    expect(upstream.connections - before).toBe(1);
    agent.destroy();
  });

  it("denies with 403, a line saying why, and an event; a denied host is never resolved", async () => {
    const answer = await viaProxy(proxy, { url: "http://not-allowed.test/x" });
    expect(answer.status).toBe(403);
    expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(answer.headers["x-openshell-egress"]).toBe("denied");
    expect(answer.body).toBe("openshell egress proxy: no endpoint of any rule matches not-allowed.test:80\n");
    expect(resolved).toEqual([]);
    expect(events).toEqual([
      {
        client,
        remoteAddress: "127.0.0.1",
        request: { host: "not-allowed.test", port: 80, kind: "http", method: "GET", path: "/x" },
        decision: {
          allowed: false,
          audited: false,
          reason: "no endpoint of any rule matches not-allowed.test:80",
        },
      },
    ]);
  });

  it("applies L7 access: read-only allows GET and denies DELETE", async () => {
    expect((await viaProxy(proxy, { url: url("ro.test") })).status).toBe(200);
    const denied = await viaProxy(proxy, { method: "DELETE", url: url("ro.test", "/x") });
    expect(denied.status).toBe(403);
    expect(denied.body).toBe(
      'openshell egress proxy: rule "ro": method DELETE not allowed by access read-only\n',
    );
  });

  it("applies allow and deny rules by method and path", async () => {
    expect((await viaProxy(proxy, { url: url("rules.test", "/repos/a/b") })).status).toBe(200);
    expect((await viaProxy(proxy, { method: "POST", url: url("rules.test", "/repos/a") })).status).toBe(403);
    const denied = await viaProxy(proxy, { url: url("rules.test", "/repos/private/x") });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatch(/denied by deny_rules\[0\]/);
    // URL parsing resolves dot segments before the rules see the path, as the upstream would.
    expect((await viaProxy(proxy, { url: url("rules.test", "/repos/a/../private/x") })).status).toBe(403);
  });

  it("allows an audit endpoint's violation and reports it as audited", async () => {
    const answer = await viaProxy(proxy, { method: "DELETE", url: url("audit.test", "/x") });
    expect(answer.status).toBe(200);
    expect(events[0]?.decision).toEqual({
      allowed: true,
      audited: true,
      rule: "audit",
      tunnel: "l7",
      reason: 'audit only, rule "audit" would deny: method DELETE not allowed by access read-only',
    });
  });

  it("refuses connections from unknown clients", async () => {
    known = false;
    const answer = await viaProxy(proxy, { url: url("api.test") });
    expect(answer.status).toBe(403);
    expect(answer.body).toBe("openshell egress proxy: 127.0.0.1 is not a sandbox of this gateway\n");
    expect(events[0]).toMatchObject({ remoteAddress: "127.0.0.1", decision: { allowed: false } });
    expect(events[0]?.client).toBeUndefined();
  });

  it("answers 503 when identify throws, and keeps serving", async () => {
    await proxy.close();
    proxy = await listen({
      identify: () => {
        throw new Error("store closed");
      },
    });
    const answer = await viaProxy(proxy, { url: url("api.test") });
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/could not tell which sandbox 127.0.0.1 is \(store closed\)/);
  });

  it("resolves with the resolver first, then DNS", async () => {
    await viaProxy(proxy, { url: url("api.test") });
    expect(resolved).toEqual(["api.test"]);
    const answer = await viaProxy(proxy, { url: "http://nothing.invalid/" });
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/^openshell egress proxy: cannot resolve nothing.invalid: [A-Z_]+\n$/);
    expect(events.at(-1)?.outcome).toMatch(/^lookup failed: /);
  });

  it("never connects to the gateway host's loopback or link-local addresses named by DNS or an IP literal", async () => {
    const literal = await viaProxy(proxy, { url: "http://127.0.0.1:81/" });
    expect(literal.status).toBe(403);
    expect(literal.body).toBe(
      "openshell egress proxy: 127.0.0.1 is a loopback address, which the egress proxy never connects to\n",
    );
    const metadata = await viaProxy(proxy, { url: "http://169.254.169.254:81/latest/meta-data/" });
    expect(metadata.body).toMatch(/169.254.169.254 is a link-local address/);
    // Not in the resolver map: DNS (here /etc/hosts) answers loopback.
    const dns = await viaProxy(proxy, { url: "http://localhost:81/" });
    expect(dns.status).toBe(403);
    expect(dns.body).toMatch(
      /^openshell egress proxy: localhost resolves to (127.0.0.1|::1), which is a loopback address/,
    );
    // The resolver's 127.0.0.1, by contrast, is the gateway's own choice.
    expect((await viaProxy(proxy, { url: url("api.test") })).status).toBe(200);
  });

  it("answers 502 with the error code when the upstream is down", async () => {
    const answer = await viaProxy(proxy, { url: url("down.test", "/", downPort) });
    expect(answer.status).toBe(502);
    expect(answer.body).toBe(`openshell egress proxy: cannot reach down.test:${downPort}: ECONNREFUSED\n`);
    expect(events[0]?.outcome).toBe("upstream failed: ECONNREFUSED");
  });

  it("cuts requests still waiting on their upstream on close()", async () => {
    const pending = viaProxy(proxy, { url: url("api.test", "/hang") });
    await expect.poll(() => events.length).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await proxy.close();
    await expect(pending).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("explains itself to requests that are not proxy requests", async () => {
    const origin = await viaProxy(proxy, { url: "/index.html" });
    expect(origin.status).toBe(400);
    expect(origin.body).toMatch(
      /this is an HTTP forward proxy for sandboxes: send requests with an absolute URI/,
    );
    const https = await viaProxy(proxy, { url: "https://api.test/" });
    expect(https.status).toBe(400);
    expect(https.body).toMatch(/https:\/\/ URIs go through a tunnel: use CONNECT api.test:443/);
    expect(events).toEqual([]);
  });

  it("cuts the client off when the upstream resets mid-answer, and keeps serving", async () => {
    await expect(viaProxy(proxy, { url: url("api.test", "/reset") })).rejects.toThrow();
    expect((await viaProxy(proxy, { url: url("api.test") })).status).toBe(200);
  });

  it("drops the upstream exchange when the client aborts mid-body", async () => {
    const socket = await rawRequest(
      proxy,
      `POST ${url("api.test", "/slow")} HTTP/1.1\r\nHost: api.test\r\nContent-Length: 100000\r\n\r\n${"x".repeat(1000)}`,
    );
    const before = upstream.aborted;
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await expect.poll(() => upstream.aborted).toBe(before + 1);
    expect((await viaProxy(proxy, { url: url("api.test") })).status).toBe(200);
  });

  it("answers malformed requests with 400", async () => {
    const socket = await rawRequest(proxy, "NOT HTTP AT ALL\r\n\r\n");
    expect(await readUntil(socket, () => false)).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
  });

  it("cuts off a client that is too slow to send its headers", async () => {
    await proxy.close();
    proxy = await listen({ headersTimeoutMs: 200 });
    const socket = await rawRequest(proxy, `GET ${url("api.test")} HTTP/1.1\r\nHost: api`);
    const started = Date.now();
    const answer = await readUntil(socket, () => false);
    expect(answer).toMatch(/^HTTP\/1.1 408 Request Timeout\r\n/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("relays an allowed websocket upgrade and refuses one whose messages it could not check", async () => {
    const upgrade = (host: string) =>
      `GET ${url(host, "/rt")} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      "Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const socket = await rawRequest(proxy, upgrade("ws.test"));
    const head = await readUntil(socket, (t) => t.includes("\r\n\r\n"));
    expect(head).toMatch(/^HTTP\/1.1 101 Switching Protocols\r\n/);
    expect(head).toMatch(/Sec-WebSocket-Accept: fake-for-abc/);
    socket.write("frame bytes");
    expect(await readUntil(socket, (t) => t === "frame bytes")).toBe("frame bytes");
    socket.destroy();
    expect(events[0]).toMatchObject({
      decision: { allowed: true, rule: "ws" },
      outcome: "upstream answered 101",
    });

    const refused = await rawRequest(proxy, upgrade("ws-ro.test"));
    const answer = await readUntil(refused, () => false);
    expect(answer).toMatch(/^HTTP\/1.1 403 Forbidden\r\n/);
    expect(answer).toMatch(/its client messages are not .* local mode cannot inspect websocket messages/);
  });
});

describe("EgressProxy: CONNECT", () => {
  it("tunnels to an allowed host: bytes both ways, then a clean half-close", async () => {
    const { socket, head } = await connectVia(proxy, `echo.test:${echo.port}`);
    expect(head).toBe("HTTP/1.1 200 Connection Established\r\n\r\n");
    socket.write("hello through the tunnel");
    expect(await readUntil(socket, (t) => t === "hello through the tunnel")).toBe("hello through the tunnel");
    socket.end();
    await once(socket, "close");
    expect(events).toEqual([
      {
        client,
        remoteAddress: "127.0.0.1",
        request: { host: "echo.test", port: echo.port, kind: "connect" },
        decision: {
          allowed: true,
          audited: false,
          rule: "echo",
          tunnel: "l4",
          reason: 'allowed by rule "echo"',
        },
        outcome: "tunnel open",
      },
    ]);
  });

  it("denies a tunnel with 403 and the reason, then closes", async () => {
    const { socket, head } = await connectVia(proxy, "evil.test:443");
    const rest = await readUntil(socket, () => false);
    const body = "openshell egress proxy: no endpoint of any rule matches evil.test:443\n";
    expect(head + rest).toBe(
      "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\n" +
        `content-length: ${body.length}\r\nx-openshell-egress: denied\r\nconnection: close\r\n\r\n${body}`,
    );
    expect(events[0]?.decision.allowed).toBe(false);
  });

  it("reads plain HTTP inside a tunnel to an endpoint with L7 rules as requests the rules decide", async () => {
    const { socket, head } = await connectVia(proxy, `ro.test:${upstream.port}`);
    expect(head).toBe("HTTP/1.1 200 Connection Established\r\n\r\n");
    socket.write(`GET /allowed HTTP/1.1\r\nHost: elsewhere.test\r\n\r\n`);
    const allowed = await readUntil(socket, (t) => t.includes('"url":"/allowed"'));
    expect(allowed).toMatch(/^HTTP\/1.1 200 OK/);
    // The tunnel's host is what the policy checked, whatever Host the request names.
    expect(allowed).toContain(`"host":"ro.test:${upstream.port}"`);
    socket.write("DELETE /x HTTP/1.1\r\nHost: ro.test\r\n\r\n");
    const denied = await readUntil(socket, (t) => t.endsWith("read-only\n"));
    expect(denied).toMatch(/^HTTP\/1.1 403 Forbidden/);
    expect(denied).toContain(
      'openshell egress proxy: rule "ro": method DELETE not allowed by access read-only\n',
    );
    socket.destroy();
    expect(events.map((e) => [e.request.kind, e.request.method, e.decision.allowed])).toEqual([
      ["connect", undefined, true],
      ["http", "GET", true],
      ["http", "DELETE", false],
    ]);
  });

  it("refuses unknown clients, malformed targets and unreachable upstreams", async () => {
    const bad = await connectVia(proxy, "no-port.test");
    expect(bad.head).toMatch(/^HTTP\/1.1 400 Bad Request/);
    const down = await connectVia(proxy, `down.test:${downPort}`);
    expect(down.head + (await readUntil(down.socket, () => false))).toMatch(
      new RegExp(`^HTTP/1.1 502 Bad Gateway[^]*cannot reach down.test:${downPort}: ECONNREFUSED\\n$`),
    );
    known = false;
    const unknown = await connectVia(proxy, `echo.test:${echo.port}`);
    expect(unknown.head).toMatch(/^HTTP\/1.1 403 Forbidden/);
  });

  it("passes on bytes the client sent right behind its CONNECT", async () => {
    const socket = await rawRequest(proxy, `CONNECT echo.test:${echo.port} HTTP/1.1\r\n\r\nearly bytes`);
    const text = await readUntil(socket, (t) => t.endsWith("early bytes"));
    expect(text).toBe("HTTP/1.1 200 Connection Established\r\n\r\nearly bytes");
    socket.destroy();
  });

  it("relays bytes sent with the CONNECT by a client that already ended its side (printf | nc)", async () => {
    const socket = await rawRequest(
      proxy,
      `CONNECT api.test:${upstream.port} HTTP/1.1\r\n\r\nGET /tunnel HTTP/1.0\r\nHost: api.test\r\n\r\n`,
    );
    socket.end();
    const text = await readUntil(socket, () => false);
    expect(text).toMatch(/^HTTP\/1.1 200 Connection Established\r\n\r\nHTTP\/1.1 200 OK/);
    expect(text).toContain('"url":"/tunnel"');
  });

  it("refuses to connect to itself", async () => {
    const { networkPolicies } = create(SandboxPolicySchema, {
      networkPolicies: { self: { endpoints: [{ host: "self.test", port: proxy.port }] } },
    });
    client.policy = compileEgressPolicy(networkPolicies);
    try {
      const { socket, head } = await connectVia(proxy, `self.test:${proxy.port}`);
      expect(head + (await readUntil(socket, () => false))).toMatch(
        new RegExp(`^HTTP/1.1 403 Forbidden[^]*self.test:${proxy.port} is this egress proxy itself\\n$`),
      );
    } finally {
      client.policy = policy();
    }
  });

  it("ends open tunnels on close()", async () => {
    const { socket } = await connectVia(proxy, `echo.test:${echo.port}`);
    const closed = once(socket, "close");
    await proxy.close();
    await closed;
    expect(socket.destroyed).toBe(true);
    await proxy.close(); // twice is fine
  });
});

describe("EgressProxy: local services", () => {
  let seen: { url: string | undefined; proxyAuth: unknown; client: EgressClient }[];
  let ca: Awaited<ReturnType<typeof createCertificateAuthority>>;

  beforeAll(async () => {
    ca = await createCertificateAuthority("egress-test-ca");
  });

  async function withService(tlsCert?: { key: string; cert: string }): Promise<void> {
    seen = [];
    const service: LocalService = {
      handle: (req, res, who) => {
        seen.push({ url: req.url, proxyAuth: req.headers["proxy-authorization"], client: who });
        res.end(`local answer to ${req.method} ${req.url}`);
      },
      ...(tlsCert ? { tls: tlsCert } : {}),
    };
    await proxy.close();
    proxy = await listen({ localServices: new Map([["inference.local", service]]) });
  }

  it("answers plain requests itself, before any policy", async () => {
    await withService();
    const answer = await viaProxy(proxy, {
      url: "http://inference.local/v1/models?x=1",
      headers: { "proxy-authorization": "Basic c2VjcmV0" },
    });
    expect(answer.body).toBe("local answer to GET /v1/models?x=1");
    expect(seen).toEqual([{ url: "/v1/models?x=1", proxyAuth: undefined, client }]);
    expect(events[0]?.decision).toEqual({
      allowed: true,
      audited: false,
      reason: "inference.local is answered by the gateway itself",
    });
  });

  it("refuses to start with an unusable certificate for a local service", async () => {
    const service: LocalService = { handle: () => {}, tls: { key: "not a key", cert: "not a cert" } };
    await expect(listen({ localServices: new Map([["inference.local", service]]) })).rejects.toThrow(
      /local service inference.local: unusable TLS key or certificate/,
    );
  });

  it("terminates TLS for a CONNECT and serves the decrypted requests", async () => {
    const cert = await issueServerCertificate(ca, { dnsNames: ["inference.local"], ips: [] });
    await withService(cert);
    const { socket, head } = await connectVia(proxy, "inference.local:443");
    expect(head).toBe("HTTP/1.1 200 Connection Established\r\n\r\n");
    const secure = tls.connect({ socket, servername: "inference.local", ca: ca.cert });
    await once(secure, "secureConnect");
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          createConnection: () => secure,
          method: "POST",
          path: "/v1/chat/completions",
          headers: { host: "inference.local" },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(body).toBe("local answer to POST /v1/chat/completions");
    expect(seen[0]?.client).toBe(client);
    secure.destroy();
  });
});
