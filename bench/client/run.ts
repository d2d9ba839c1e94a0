/**
 * Client overhead, side by side in one process: the SDK against a bare connect-node client built on
 * the same generated code, both over HTTP/2 with mTLS on loopback to the same do-nothing gateway.
 * Rounds alternate between the two so machine noise lands on both alike.
 *
 *   npm run bench:client            (BENCH_QUICK=1 for a short smoke run)
 */

import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  OpenShell as OpenShellService,
  type TcpForwardFrame,
  TcpForwardFrameSchema,
} from "../../src/gen/openshell/v1/openshell_pb.js";
import { OpenShell } from "../../src/index.js";
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from "../../test/support/certs.js";
import { median, percentile } from "../shared/rounds.js";
import { startBenchGateway } from "./bench-gateway.js";

const quick = process.env.BENCH_QUICK === "1";
const MiB = 1024 * 1024;

interface Sample {
  label: string;
  sdk: number[];
  bare: number[];
}

async function main(): Promise<void> {
  const ca = await createCertificateAuthority("bench-ca");
  const server = await issueServerCertificate(ca, { dnsNames: ["localhost"], ips: ["127.0.0.1"] });
  const client = await issueClientCertificate(ca, { commonName: "bench-client" });
  const gateway = await startBenchGateway({ key: server.key, cert: server.cert, ca: ca.cert });
  const home = mkdtempSync(join(tmpdir(), "openshell-bench-"));
  const os = await OpenShell.connect({
    endpoint: gateway.endpoint,
    tls: { ca: ca.cert, cert: client.cert, key: client.key },
    env: {},
    homeDir: home,
  });
  const bare = createClient(
    OpenShellService,
    createGrpcTransport({
      baseUrl: gateway.endpoint,
      nodeOptions: { ca: ca.cert, cert: client.cert, key: client.key },
    }),
  );
  const sb = os.sandboxes.handle("bench");
  const sandboxId = await sb.id();
  // Warm both paths (JIT, TLS session, HTTP/2 windows) before anything is measured.
  await timeEach(500, () => os.health());
  await timeEach(500, () => bare.health({}));

  const results: string[] = [];
  const unaryRounds = quick ? 2 : 10;
  const unaryCalls = quick ? 200 : 1000;

  // Unary latency: sequential calls, so each sample is one round trip.
  const latency: Sample = { label: "unary Health latency", sdk: [], bare: [] };
  for (let round = 0; round < unaryRounds; round++) {
    latency.sdk.push(...(await timeEach(unaryCalls, () => os.health())));
    latency.bare.push(...(await timeEach(unaryCalls, () => bare.health({}))));
  }
  results.push(latencyRow(latency));

  // Unary throughput: 16 calls in flight.
  const throughput: Sample = { label: "unary Health calls/s (16 in flight)", sdk: [], bare: [] };
  for (let round = 0; round < unaryRounds; round++) {
    throughput.sdk.push(await callsPerSecond(unaryCalls * 2, 16, () => os.health()));
    throughput.bare.push(await callsPerSecond(unaryCalls * 2, 16, () => bare.health({})));
  }
  results.push(rateRow(throughput, "calls/s"));

  // Exec output: the gateway streams synthetic bytes; both sides read every chunk.
  const execBytes = (quick ? 16 : 64) * MiB;
  const exec: Sample = { label: `exec stdout MiB/s (${execBytes / MiB} MiB)`, sdk: [], bare: [] };
  for (let round = 0; round < (quick ? 2 : 6); round++) {
    exec.sdk.push(await mibPerSecond(execBytes, () => drainSdkExec(sb, execBytes)));
    exec.bare.push(await mibPerSecond(execBytes, () => drainBareExec(bare, sandboxId, execBytes)));
  }
  results.push(rateRow(exec, "MiB/s"));

  // Forward: bytes through a local TCP socket, the gateway's echo, and back.
  const forwardBytes = (quick ? 8 : 32) * MiB;
  const sdkForward = await sb.forward({ port: 1 });
  const bareForward = await bareForwarder(bare, sandboxId);
  const forward: Sample = {
    label: `forward echo MiB/s (${forwardBytes / MiB} MiB each way)`,
    sdk: [],
    bare: [],
  };
  for (let round = 0; round < (quick ? 2 : 6); round++) {
    forward.sdk.push(await mibPerSecond(forwardBytes, () => echoThrough(sdkForward.localPort, forwardBytes)));
    forward.bare.push(await mibPerSecond(forwardBytes, () => echoThrough(bareForward.port, forwardBytes)));
  }
  results.push(rateRow(forward, "MiB/s"));

  await sdkForward.close();
  bareForward.close();
  os.close();
  await gateway.close();
  rmSync(home, { recursive: true, force: true });
  console.log(`\nopenshell client vs bare connect-node client (Node ${process.version}, mTLS on loopback)\n`);
  console.log("| measure | SDK | bare | SDK / bare |\n|---|---|---|---|");
  for (const row of results) console.log(row);
}

async function timeEach(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function callsPerSecond(
  total: number,
  concurrency: number,
  fn: () => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await fn();
    }),
  );
  return total / ((performance.now() - t) / 1000);
}

async function mibPerSecond(bytes: number, fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return bytes / MiB / ((performance.now() - t) / 1000);
}

async function drainSdkExec(sb: ReturnType<OpenShell["sandboxes"]["handle"]>, bytes: number): Promise<void> {
  let seen = 0;
  for await (const ev of sb.execStream(["gen", String(bytes)]))
    if (ev.type === "stdout") seen += ev.data.byteLength;
  if (seen !== bytes) throw new Error(`sdk exec read ${seen} of ${bytes} bytes`);
}

async function drainBareExec(
  bare: Client<typeof OpenShellService>,
  sandboxId: string,
  bytes: number,
): Promise<void> {
  let seen = 0;
  let exited = false;
  for await (const ev of bare.execSandbox({ sandboxId, command: ["gen", String(bytes)] })) {
    if (ev.payload.case === "stdout") seen += ev.payload.value.data.byteLength;
    if (ev.payload.case === "exit") exited = true;
  }
  if (seen !== bytes || !exited) throw new Error(`bare exec read ${seen} of ${bytes} bytes`);
}

/** The least a hand-written forwarder must do: listen, and pipe each socket through ForwardTcp. */
async function bareForwarder(bare: Client<typeof OpenShellService>, sandboxId: string) {
  const { token } = await bare.createSshSession({ sandboxId });
  const server = createServer((socket) => {
    async function* frames(): AsyncGenerator<TcpForwardFrame> {
      yield create(TcpForwardFrameSchema, {
        payload: {
          case: "init",
          value: {
            sandboxId,
            target: { case: "tcp", value: { host: "127.0.0.1", port: 1 } },
            authorizationToken: token,
          },
        },
      });
      for await (const chunk of socket)
        yield create(TcpForwardFrameSchema, { payload: { case: "data", value: chunk } });
    }
    void (async () => {
      for await (const frame of bare.forwardTcp(frames())) {
        if (frame.payload.case === "data" && !socket.write(frame.payload.value)) await once(socket, "drain");
      }
      socket.end();
    })().catch(() => socket.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  return { port: typeof address === "object" && address ? address.port : 0, close: () => server.close() };
}

async function echoThrough(port: number, bytes: number): Promise<void> {
  const payload = Buffer.alloc(bytes, 7);
  await new Promise<void>((resolve, reject) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    let received = 0;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes) {
        socket.end();
        resolve();
      }
    });
    socket.on("error", reject);
    socket.write(payload);
  });
}

function latencyRow(s: Sample): string {
  const fmt = (v: number[]) =>
    `p50 ${percentile(v, 50).toFixed(3)} ms, p99 ${percentile(v, 99).toFixed(3)} ms`;
  const ratio = `p50 ${(percentile(s.sdk, 50) / percentile(s.bare, 50)).toFixed(2)}x, p99 ${(percentile(s.sdk, 99) / percentile(s.bare, 99)).toFixed(2)}x`;
  return `| ${s.label} | ${fmt(s.sdk)} | ${fmt(s.bare)} | ${ratio} |`;
}

function rateRow(s: Sample, unit: string): string {
  const sdk = median(s.sdk);
  const bare = median(s.bare);
  return `| ${s.label} | ${sdk.toFixed(1)} ${unit} | ${bare.toFixed(1)} ${unit} | ${(sdk / bare).toFixed(2)}x |`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
