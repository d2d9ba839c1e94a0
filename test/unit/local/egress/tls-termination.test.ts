import { once } from "node:events";
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
} from "../../../../src/local/egress/egress-proxy.js";
import type { OutboundRequest } from "../../../../src/local/egress/request-rewrite.js";
import { type CertificateAuthority, createCertificateAuthority } from "../../../support/certs.js";
import { rawRequest, readUntil } from "./proxy-clients.js";
import {
  httpsViaProxy,
  startHttpsUpstream,
  startTlsEcho,
  type TlsServer,
  tlsViaProxy,
} from "./tls-upstreams.js";

/**
 * The egress proxy terminating sandboxes' TLS in CONNECT tunnels, end to end on loopback: the
 * upstream has its own CA, which the proxy is told to trust and the client is not; the client
 * trusts only the gateway's egress CA, as a sandbox does.
 */

let egressCa: CertificateAuthority;
let upstreamCa: CertificateAuthority;
let upstream: TlsServer;
let echo: TlsServer;
let proxy: EgressProxy;
let events: EgressEvent[];
let rewritten: OutboundRequest[];
let client: EgressClient;

const names = ["api.test", "ro.test", "audit.test", "open.test", "skip.test", "ws.test", "untrusted.test"];

function policy() {
  const at = (host: string, extra: MessageInitShape<typeof NetworkPolicyRuleSchema>["endpoints"] = []) => ({
    endpoints: [{ host, port: upstream.port }, ...extra],
  });
  const rules: Record<string, MessageInitShape<typeof NetworkPolicyRuleSchema>> = {
    api: at("api.test"),
    ro: {
      endpoints: [{ host: "ro.test", port: upstream.port, access: "read-only", enforcement: "enforce" }],
    },
    audit: {
      endpoints: [{ host: "audit.test", port: upstream.port, access: "read-only", enforcement: "audit" }],
    },
    open: { endpoints: [{ host: "open.test", port: upstream.port, access: "read-only" }] },
    skip: { endpoints: [{ host: "skip.test", port: upstream.port, tls: "skip" }] },
    ws: {
      endpoints: [{ host: "ws.test", port: upstream.port, access: "read-write", enforcement: "enforce" }],
    },
    untrusted: at("untrusted.test"),
    echo: { endpoints: [{ host: "api.test", port: echo.port }] },
  };
  const { networkPolicies } = create(SandboxPolicySchema, { networkPolicies: rules });
  return compileEgressPolicy(networkPolicies);
}

async function listen(overrides: Partial<EgressProxyOptions> = {}): Promise<EgressProxy> {
  return EgressProxy.listen({
    host: "127.0.0.1",
    identify: () => client,
    resolve: (host) => (names.includes(host) ? "127.0.0.1" : undefined),
    onEvent: (event) => events.push(event),
    tlsCa: egressCa,
    trustedCertificates: [upstreamCa.cert],
    rewrite: (_client, request) => {
      rewritten.push(request);
      return { kind: "unchanged" };
    },
    ...overrides,
  });
}

beforeAll(async () => {
  egressCa = await createCertificateAuthority("egress-ca-under-test");
  upstreamCa = await createCertificateAuthority("upstream-private-ca");
  upstream = await startHttpsUpstream(upstreamCa, names);
  echo = await startTlsEcho(upstreamCa, ["api.test"]);
  client = { sandboxId: "sb-1", sandboxName: "agent", policy: policy() };
});
afterAll(async () => {
  await upstream.close();
  await echo.close();
});
beforeEach(async () => {
  events = [];
  rewritten = [];
  proxy = await listen();
});
afterEach(async () => {
  await proxy.close();
});

const target = (host: string) => `${host}:${upstream.port}`;

describe("EgressProxy: TLS termination", () => {
  it("terminates a CONNECT's TLS with a certificate from the egress CA and forwards over TLS it checked", async () => {
    const answer = await httpsViaProxy(proxy, target("api.test"), {
      ca: egressCa.cert,
      path: "/v1/items?x=1",
    });
    expect(answer.status).toBe(200);
    expect(answer.alpn).toBe("http/1.1");
    expect(answer.peer.issuer.CN).toBe("egress-ca-under-test");
    expect(answer.peer.subjectaltname).toBe("DNS:api.test");
    const received = JSON.parse(answer.body);
    expect(received).toMatchObject({ method: "GET", url: "/v1/items?x=1", sni: "api.test" });
    expect(received.headers.host).toBe(`api.test:${upstream.port}`);
    expect(events.map((e) => [e.request.kind, e.request.method, e.request.path, e.outcome])).toEqual([
      ["connect", undefined, undefined, "tunnel open"],
      ["http", "GET", "/v1/items", "upstream answered 200"],
    ]);
    expect(rewritten).toHaveLength(1);
    expect(rewritten[0]).toMatchObject({ host: "api.test", pathAndQuery: "/v1/items?x=1", tls: true });
  });

  it("presents a certificate for the SNI name when it differs from the CONNECT host, and still goes to the CONNECT host", async () => {
    const answer = await httpsViaProxy(proxy, target("api.test"), {
      ca: egressCa.cert,
      servername: "other.test",
    });
    expect(answer.peer.subjectaltname).toBe("DNS:other.test");
    expect(JSON.parse(answer.body).sni).toBe("api.test");
  });

  it("applies L7 rules to each decrypted request: enforce answers 403", async () => {
    expect((await httpsViaProxy(proxy, target("ro.test"), { ca: egressCa.cert })).status).toBe(200);
    const denied = await httpsViaProxy(proxy, target("ro.test"), {
      ca: egressCa.cert,
      method: "DELETE",
      path: "/x",
    });
    expect(denied.status).toBe(403);
    expect(denied.headers["x-openshell-egress"]).toBe("denied");
    expect(denied.body).toBe(
      'openshell egress proxy: rule "ro": method DELETE not allowed by access read-only\n',
    );
    expect(rewritten.map((r) => r.method)).toEqual(["GET"]);
  });

  it("forwards an L7 violation under audit and under empty enforcement, reporting it audited", async () => {
    for (const host of ["audit.test", "open.test"]) {
      events = [];
      const answer = await httpsViaProxy(proxy, target(host), {
        ca: egressCa.cert,
        method: "DELETE",
        path: "/x",
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).method).toBe("DELETE");
      expect(events[1]?.decision).toMatchObject({ allowed: true, audited: true });
      expect(events[1]?.decision.reason).toMatch(/would deny: method DELETE not allowed by access read-only/);
    }
  });

  it("answers 502 naming the host when the upstream's certificate is not trusted", async () => {
    await proxy.close();
    proxy = await listen({ trustedCertificates: [] });
    const answer = await httpsViaProxy(proxy, target("untrusted.test"), { ca: egressCa.cert });
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(
      new RegExp(
        `^openshell egress proxy: the certificate of untrusted.test:${upstream.port} is not trusted by the gateway \\(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO`,
      ),
    );
    expect(answer.body).toContain("egressTrustedCertificates");
    expect(events[1]?.outcome).toMatch(/^upstream certificate not trusted/);
  });

  it("tunnels tls: skip untouched: the client sees the upstream's own certificate", async () => {
    await expect(tlsViaProxy(proxy, target("skip.test"), { ca: egressCa.cert })).rejects.toThrow();
    const answer = await httpsViaProxy(proxy, target("skip.test"), { ca: upstreamCa.cert });
    expect(answer.status).toBe(200);
    expect(answer.peer.issuer.CN).toBe("upstream-private-ca");
    expect(rewritten).toEqual([]);
    expect(events.every((e) => e.request.kind === "connect")).toBe(true);
  });

  it("relays what is not HTTP inside terminated TLS to the upstream over TLS", async () => {
    const secure = await tlsViaProxy(proxy, `api.test:${echo.port}`, { ca: egressCa.cert });
    secure.write("\x00binary hello");
    const echoed = await new Promise<string>((resolve) => {
      let text = "";
      secure.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (text.length >= 13) resolve(text);
      });
    });
    expect(echoed).toBe("\x00binary hello");
    secure.destroy();
  });

  it("relays a websocket upgrade inside terminated TLS", async () => {
    const secure = await tlsViaProxy(proxy, target("ws.test"), { ca: egressCa.cert });
    secure.write(
      "GET /rt HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    const text = await new Promise<string>((resolve) => {
      let seen = "";
      secure.on("data", (chunk: Buffer) => {
        seen += chunk.toString("latin1");
        if (seen.includes("\r\n\r\n") && !seen.endsWith("frame")) secure.write("frame");
        if (seen.endsWith("frame")) resolve(seen);
      });
    });
    expect(text).toMatch(/^HTTP\/1.1 101 Switching Protocols/);
    expect(events.at(-1)).toMatchObject({
      request: { kind: "http", websocket: true },
      outcome: "upstream answered 101",
    });
    secure.destroy();
  });

  it("cuts a TLS tunnel to an endpoint with L7 rules when the proxy has no CA, and says why", async () => {
    await proxy.close();
    proxy = await listen({ tlsCa: undefined });
    await expect(tlsViaProxy(proxy, target("ro.test"), { ca: egressCa.cert })).rejects.toThrow();
    expect(events.at(-1)?.outcome).toMatch(/no egress CA to terminate it/);
  });

  it("reports a sandbox that does not trust the egress CA", async () => {
    await expect(tlsViaProxy(proxy, target("api.test"), { ca: upstreamCa.cert })).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.at(-1)?.outcome).toMatch(/^TLS handshake with the sandbox failed/);
  });

  it("relays a tunnel as it is when the upstream speaks first", async () => {
    const greeter = (await import("node:net")).createServer((socket) => {
      socket.on("error", () => socket.destroy());
      socket.write("220 hello\r\n");
      socket.pipe(socket);
    });
    greeter.listen(0, "127.0.0.1");
    await once(greeter, "listening");
    const port = (greeter.address() as import("node:net").AddressInfo).port;
    const { networkPolicies } = create(SandboxPolicySchema, {
      networkPolicies: { smtp: { endpoints: [{ host: "api.test", port }] } },
    });
    client.policy = compileEgressPolicy(networkPolicies);
    try {
      const socket = await rawRequest(proxy, `CONNECT api.test:${port} HTTP/1.1\r\n\r\n`);
      expect(await readUntil(socket, (t) => t.endsWith("220 hello\r\n"))).toBe(
        "HTTP/1.1 200 Connection Established\r\n\r\n220 hello\r\n",
      );
      socket.write("EHLO x\r\n");
      expect(await readUntil(socket, (t) => t.endsWith("\r\n"))).toBe("EHLO x\r\n");
      socket.destroy();
    } finally {
      client.policy = policy();
      greeter.close();
    }
  });

  it("lets the rewriter change a decrypted request's headers, or refuse it before the upstream", async () => {
    await proxy.close();
    proxy = await listen({
      rewrite: (_client, request) => {
        rewritten.push(request);
        if (request.pathAndQuery === "/refuse") {
          return { kind: "refused", status: 403, code: "credential_endpoint_mismatch", message: "not here" };
        }
        return {
          kind: "rewritten",
          pathAndQuery: "/real",
          rawHeaders: [...request.rawHeaders, "x-secret", "s3"],
        };
      },
    });
    const answer = await httpsViaProxy(proxy, target("api.test"), {
      ca: egressCa.cert,
      path: "/placeholder",
    });
    expect(JSON.parse(answer.body)).toMatchObject({ url: "/real", headers: { "x-secret": "s3" } });
    const refused = await httpsViaProxy(proxy, target("api.test"), { ca: egressCa.cert, path: "/refuse" });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ code: "credential_endpoint_mismatch", message: "not here" });
    expect(events.at(-1)).toMatchObject({
      tls: true,
      decision: { allowed: false, reason: "credential_endpoint_mismatch: not here" },
    });
  });

  it("keeps one certificate per host", async () => {
    await httpsViaProxy(proxy, target("api.test"), { ca: egressCa.cert });
    const first = await httpsViaProxy(proxy, target("api.test"), { ca: egressCa.cert });
    const second = await httpsViaProxy(proxy, target("api.test"), { ca: egressCa.cert });
    expect(second.peer.fingerprint256).toBe(first.peer.fingerprint256);
    expect(tls.rootCertificates.length).toBeGreaterThan(0);
  });
});
