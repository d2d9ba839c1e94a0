/**
 * What the egress benchmark talks to, all on loopback in this process: one upstream HTTP server, one
 * TCP echo server, and the egress proxy in front of both with a policy that allows them by name.
 */

import { once } from "node:events";
import * as http from "node:http";
import * as net from "node:net";
import { create } from "@bufbuild/protobuf";
import { SandboxPolicySchema } from "../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { compileEgressPolicy } from "../../src/local/egress/egress-policy.js";
import { type EgressClient, EgressProxy } from "../../src/local/egress/egress-proxy.js";

/** What the upstream answers: a small JSON body, as an API call's answer might be. */
const ANSWER = JSON.stringify({ ok: true, items: [1, 2, 3], note: "egress benchmark" });

export interface BenchEndpoints {
  upstreamPort: number;
  echoPort: number;
  proxy: EgressProxy;
  /** Decisions the proxy reported, and how many of them denied. */
  events: { total: number; denied: number };
  close(): Promise<void>;
}

async function listening(server: net.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as net.AddressInfo).port;
}

export async function startEndpoints(): Promise<BenchEndpoints> {
  const upstream = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(ANSWER) });
      res.end(ANSWER);
    });
  });
  const echoSockets = new Set<net.Socket>();
  const echo = net.createServer({ noDelay: true }, (socket) => {
    echoSockets.add(socket);
    socket.on("close", () => echoSockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.pipe(socket);
  });
  const upstreamPort = await listening(upstream);
  const echoPort = await listening(echo);

  const { networkPolicies } = create(SandboxPolicySchema, {
    networkPolicies: {
      api: { endpoints: [{ host: "api.bench.test", port: upstreamPort, access: "read-only" }] },
      echo: { endpoints: [{ host: "echo.bench.test", port: echoPort }] },
    },
  });
  const policy = compileEgressPolicy(networkPolicies);
  const client: EgressClient = { sandboxId: "bench", sandboxName: "bench", policy };
  // The proxy's own resolver may name loopback (DNS answers and IP literals may not).
  const hosts: Record<string, string> = { "api.bench.test": "127.0.0.1", "echo.bench.test": "127.0.0.1" };
  const events = { total: 0, denied: 0 };
  const proxy = await EgressProxy.listen({
    host: "127.0.0.1",
    identify: (remote) => (remote === "127.0.0.1" ? client : undefined),
    resolve: (host) => hosts[host],
    onEvent: (event) => {
      events.total++;
      if (!event.decision.allowed) events.denied++;
    },
  });
  return {
    upstreamPort,
    echoPort,
    proxy,
    events,
    close: async () => {
      await proxy.close();
      upstream.closeAllConnections();
      for (const socket of echoSockets) socket.destroy();
      await Promise.all([new Promise((r) => upstream.close(r)), new Promise((r) => echo.close(r))]);
    },
  };
}

/** One GET; resolves when the whole answer is read. */
export function get(agent: http.Agent, host: string, port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ agent, host, port, path }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} for ${path}`));
      res.resume();
      res.on("end", resolve);
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/** A TCP connection to the echo server, direct or through a CONNECT tunnel. */
export async function openConnection(endpoints: BenchEndpoints, tunnel: boolean): Promise<net.Socket> {
  const port = tunnel ? endpoints.proxy.port : endpoints.echoPort;
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
  await once(socket, "connect");
  if (!tunnel) return socket;
  socket.write(`CONNECT echo.bench.test:${endpoints.echoPort} HTTP/1.1\r\nHost: echo.bench.test\r\n\r\n`);
  const [head] = (await once(socket, "data")) as [Buffer];
  if (!head.toString("latin1").startsWith("HTTP/1.1 200 ")) throw new Error(`CONNECT refused: ${head}`);
  return socket;
}

/** Sends `message` and waits until all of it has come back. */
export function echoRoundTrip(socket: net.Socket, message: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen < message.length) return;
      socket.off("data", onData);
      socket.off("error", reject);
      resolve();
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(message);
  });
}
