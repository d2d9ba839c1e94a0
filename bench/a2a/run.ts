/**
 * What `connectAgent` adds to an A2A call, side by side in one process: `agent.send("hi")` through
 * the port forward, and the same `@a2a-js/sdk` client on the container's own address on the
 * gateway's network, to the same echo agent (openshell-test/a2a-agent:1) in one `OpenShell.local()`
 * sandbox. Blocks of sends alternate between the two in a rotating order, so drift and machine noise
 * land on both alike; each send's wall time and this process's CPU time are recorded. Then rounds
 * that connect for every send (connectAgent, send, close; a new SDK client, send), phase by phase,
 * and a few batches with several sends in flight at once (throughput).
 *
 *   npm run bench:a2a-send        (BENCH_QUICK=1: fewer sends, Docker only;
 *                                  BENCH_ENGINES=docker,podman; BENCH_SENDS, BENCH_WARMUP, BENCH_BLOCK,
 *                                  BENCH_CONNECT_ROUNDS; BENCH_JSON=path, default
 *                                  .tmp/bench/a2a-send/results.json)
 *
 * Goal (issue 13): the forward adds under 2 ms to the median send.
 * Everything it creates carries openshell.ai/bench=a2a-send (and its gateways are ephemeral), and is
 * removed at the end, on failure and on Ctrl-C.
 */
import { version } from "node:process";
import { OpenShell, type Sandbox } from "openshell";
import type { AgentConnection } from "openshell/adapters/a2a";
import { benchLabels, removeBenchObjects } from "../shared/engine.js";
import { loadAverage } from "../shared/machine.js";
import { runSchedule } from "../shared/rounds.js";
import { runBench } from "../shared/run-bench.js";
import { connectWhenUp, containerAddress, startAgentSandbox } from "./agent-sandbox.js";
import { type ConnectPhase, connectDirectWay, connectForwardWay } from "./connect-ways.js";
import { type EngineResult, latencies, type PerCall, printReport, writeJson } from "./report.js";
import { DIRECT, directClient, directWay, FORWARD, forwardWay } from "./ways.js";

const quick = process.env.BENCH_QUICK === "1";
const WARMUP = Number(process.env.BENCH_WARMUP ?? 30);
const SENDS = Number(process.env.BENCH_SENDS ?? (quick ? 60 : 300));
/** Sends per way before the other way's turn. */
const BLOCK = Number(process.env.BENCH_BLOCK ?? 10);
/** Throughput: batches per way of this many sends, this many in flight. */
const PAR_BATCHES = quick ? 1 : 3;
const PAR_SENDS = 200;
const PAR_IN_FLIGHT = 8;
/** Connect, send once, close: rounds per way (after 3 warm-up), in blocks of 5. */
const CONNECT_ROUNDS = Number(process.env.BENCH_CONNECT_ROUNDS ?? (quick ? 10 : 50));
const ENGINES = (process.env.BENCH_ENGINES ?? (quick ? "docker" : "docker,podman")).split(",");
const JSON_PATH = process.env.BENCH_JSON ?? ".tmp/bench/a2a-send/results.json";
const LABELS = benchLabels("a2a-send");

const endpoints = {
  docker: process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock",
  podman: process.env.OPENSHELL_TEST_PODMAN_HOST ?? "unix:///run/podman/podman.sock",
};

/** Run last-first at the end and on Ctrl-C: the agent's connection, its sandbox, the gateway. */
const closers: (() => Promise<unknown>)[] = [];

async function benchOn(kind: "docker" | "podman"): Promise<EngineResult> {
  const socketPath = endpoints[kind].replace(/^unix:\/\//, "");
  const os = await OpenShell.local({
    runtime: kind,
    runtimeOptions: { endpoint: { kind: "unix", socketPath } },
    ephemeral: true,
  });
  closers.push(() => os.close());
  const runtime = os.localGateway?.runtime;
  if (runtime === undefined) throw new Error("OpenShell.local() gave no local gateway");
  const leftovers = await removeBenchObjects(runtime, LABELS);
  if (leftovers > 0) console.error(`  removed ${leftovers} object(s) left by an earlier run`);
  const engineVersion = (await runtime.info()).version;

  const name = `a2a-bench-${Math.random().toString(16).slice(2, 8)}`;
  let sandbox: Sandbox | undefined;
  closers.push(async () => {
    await sandbox?.delete();
    await sandbox?.deleted({ timeoutMs: 30_000 });
  });
  const started = performance.now();
  sandbox = await startAgentSandbox(os, name, LABELS);
  const agent: AgentConnection = await connectWhenUp(sandbox);
  closers.push(() => agent.close());
  const address = await containerAddress(os, sandbox);
  const client = await directClient(address, 8080);
  console.error(
    `  ${kind}: sandbox ${name} READY and the agent answering after ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `container address ${address}; A2A ${agent.protocolVersion}; forward at ${agent.url}`,
  );

  const ways = [forwardWay(agent), directWay(client)];
  const samples = await runSchedule(ways, {
    warmupRounds: WARMUP,
    seqRounds: SENDS,
    seqBatch: BLOCK,
    parBatches: PAR_BATCHES,
    parRounds: PAR_SENDS,
    parInFlight: PAR_IN_FLIGHT,
  });
  const times = (way: string) => (samples.sequential.get(way) ?? []).map((r) => r.send);
  const cpu = (way: string) => (samples.sequential.get(way) ?? []).map((r) => r.cpu);
  const forward = times(FORWARD);
  const direct = times(DIRECT);
  const throughput = (way: string) => {
    const batches = [...(samples.parallel.get(way) ?? [])].sort((a, b) => a - b);
    const median = batches[Math.floor(batches.length / 2)] ?? Number.NaN;
    return PAR_SENDS / (median / 1000);
  };
  const perCall = await connectPerCall(sandbox, address);
  const f = latencies(forward);
  const d = latencies(direct);
  return {
    engine: kind,
    engineVersion,
    containerAddress: address,
    protocolVersion: agent.protocolVersion,
    warmup: WARMUP,
    sends: forward.length,
    block: BLOCK,
    forward: f,
    direct: d,
    addedP50Ms: f.p50 - d.p50,
    ratioP50: f.p50 / d.p50,
    cpuMs: { forward: latencies(cpu(FORWARD)), direct: latencies(cpu(DIRECT)) },
    parallel:
      PAR_BATCHES > 0
        ? {
            concurrency: PAR_IN_FLIGHT,
            sendsPerBatch: PAR_SENDS,
            forward: throughput(FORWARD),
            direct: throughput(DIRECT),
          }
        : undefined,
    perCall,
    samples: { forward, direct },
  };
}

/** Connect, one send, close, for each round: what a caller that does not keep its connection pays. */
async function connectPerCall(sandbox: Sandbox, address: string): Promise<PerCall> {
  const samples = await runSchedule([connectForwardWay(sandbox, 8080), connectDirectWay(address, 8080)], {
    warmupRounds: 3,
    seqRounds: CONNECT_ROUNDS,
    seqBatch: 5,
    parBatches: 0,
    parRounds: 0,
    parInFlight: 1,
  });
  const phases = (way: string) => {
    const rounds = samples.sequential.get(way) ?? [];
    const of = (phase: ConnectPhase) => latencies(rounds.map((r) => r[phase]));
    return {
      connect: of("connect"),
      send: of("send"),
      close: of("close"),
      total: latencies(rounds.map((r) => r.connect + r.send + r.close)),
    };
  };
  return { rounds: CONNECT_ROUNDS, forward: phases(FORWARD), direct: phases(DIRECT) };
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const results: EngineResult[] = [];
  for (const kind of ENGINES) {
    if (kind !== "docker" && kind !== "podman") throw new Error(`BENCH_ENGINES: unknown engine ${kind}`);
    results.push(await benchOn(kind));
    await cleanup();
  }
  const header =
    `A2A send ("hi" -> "echo: hi") through connectAgent vs the same @a2a-js/sdk client on the container's address ` +
    `(Node ${version}; ${WARMUP} warm-up sends per way, then ${SENDS} per way in alternating blocks of ${BLOCK}; ` +
    `load average before ${loadBefore}, after ${loadAverage()})`;
  printReport(header, results);
  writeJson(JSON_PATH, header, results);
  console.log(`\nJSON: ${JSON_PATH}`);
}

let cleaning: Promise<void> | undefined;
/** Closes what the run opened, newest first; safe to call again once it has finished. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
    }
  })().finally(() => {
    cleaning = undefined;
  });
  return cleaning;
}

runBench(main, cleanup);
