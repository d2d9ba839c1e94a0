/**
 * HTTPS through the egress proxy with TLS terminated, beside HTTPS made directly: an HTTPS upstream
 * on loopback with a CA of its own (trusted by the proxy, not by the client), and a proxy with an
 * egress CA (trusted by the client) that decrypts each request, checks it, and forwards it over
 * its own keep-alive pool of TLS connections to the upstream.
 */

import { once } from "node:events";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import { create } from "@bufbuild/protobuf";
import { SandboxPolicySchema } from "../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { compileEgressPolicy } from "../../src/local/egress/egress-policy.js";
import { type EgressClient, EgressProxy } from "../../src/local/egress/egress-proxy.js";
import { createCertificateAuthority, issueCertificate } from "../../src/local/listen/certificate-issuer.js";

const ANSWER = JSON.stringify({ ok: true, items: [1, 2, 3], note: "egress benchmark" });
const HOST = "api.bench.test";

export interface HttpsEndpoints {
  upstreamPort: number;
  proxy: EgressProxy;
  /** The CA the client trusts for the direct way (the upstream's) and the proxied way (the egress CA). */
  upstreamCa: string;
  egressCa: string;
  /** Decisions the proxy reported, and how many of them denied. */
  events: { total: number; denied: number };
  close(): Promise<void>;
}

export async function startHttpsEndpoints(): Promise<HttpsEndpoints> {
  const upstreamCa = await createCertificateAuthority("bench-upstream-ca");
  const egressCa = await createCertificateAuthority("bench-egress-ca");
  const leaf = await issueCertificate(upstreamCa, { commonName: HOST, usage: "server", dnsNames: [HOST] });
  const upstream = https.createServer({ ...leaf, keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(ANSWER) });
      res.end(ANSWER);
    });
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  const upstreamPort = (upstream.address() as net.AddressInfo).port;
  const { networkPolicies } = create(SandboxPolicySchema, {
    networkPolicies: {
      api: { endpoints: [{ host: HOST, port: upstreamPort, access: "read-only", enforcement: "enforce" }] },
    },
  });
  const client: EgressClient = {
    sandboxId: "bench",
    sandboxName: "bench",
    policy: compileEgressPolicy(networkPolicies),
  };
  const events = { total: 0, denied: 0 };
  const proxy = await EgressProxy.listen({
    host: "127.0.0.1",
    identify: (remote) => (remote === "127.0.0.1" ? client : undefined),
    resolve: (host) => (host === HOST ? "127.0.0.1" : undefined),
    onEvent: (event) => {
      events.total++;
      if (!event.decision.allowed) events.denied++;
    },
    tlsCa: egressCa,
    trustedCertificates: [upstreamCa.cert],
  });
  return {
    upstreamPort,
    proxy,
    upstreamCa: upstreamCa.cert,
    egressCa: egressCa.cert,
    events,
    close: async () => {
      await proxy.close();
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
    },
  };
}

/** A keep-alive pool of direct TLS connections to the upstream. */
export function directAgent(endpoints: HttpsEndpoints, maxSockets: number): https.Agent {
  return new https.Agent({ keepAlive: true, maxSockets, scheduling: "lifo", ca: endpoints.upstreamCa });
}

/**
 * A keep-alive pool whose connections are CONNECT tunnels through the proxy with TLS inside, as
 * curl or an HTTPS client with HTTPS_PROXY makes them: each is opened once and then reused.
 */
export function tunnelAgent(endpoints: HttpsEndpoints, maxSockets: number): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets, scheduling: "lifo" });
  const { proxy, upstreamPort, egressCa } = endpoints;
  // Node's agent waits for the callback when createConnection returns nothing.
  (agent as unknown as { createConnection: unknown }).createConnection = (
    _options: unknown,
    done: (error: Error | null, socket?: net.Socket) => void,
  ) => {
    const socket = net.connect({ host: proxy.host, port: proxy.port, noDelay: true });
    socket.once("error", (error) => done(error));
    socket.once("connect", () =>
      socket.write(`CONNECT ${HOST}:${upstreamPort} HTTP/1.1\r\nHost: ${HOST}:${upstreamPort}\r\n\r\n`),
    );
    socket.once("data", (head: Buffer) => {
      if (!head.toString("latin1").startsWith("HTTP/1.1 200 "))
        return done(new Error(`CONNECT refused: ${head}`));
      const secure = tls.connect({ socket, servername: HOST, ca: egressCa, ALPNProtocols: ["http/1.1"] });
      secure.once("secureConnect", () => done(null, secure));
      secure.once("error", (error) => done(error));
    });
    return undefined;
  };
  return agent;
}

/** One GET of `path` over `agent`, with `headers` besides Host; resolves when the whole answer is read. */
export function httpsGet(
  agent: http.Agent,
  port: number,
  path: string,
  overTunnel: boolean,
  headers: Readonly<Record<string, string>> = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const options = {
      agent,
      host: overTunnel ? HOST : "127.0.0.1",
      port,
      path,
      servername: HOST,
      headers: { ...headers, host: HOST },
    };
    const req = (overTunnel ? http : https).get(options, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} for ${path}`));
      res.resume();
      res.on("end", resolve);
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}
