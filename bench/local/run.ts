/**
 * Local mode's overhead, side by side in one process: a sandbox round (create from the busybox
 * image, wait until ready, exec `true`, delete and wait until gone) through `OpenShell.local()`
 * in-process, through the same embedded gateway over mTLS on loopback, and through the bare runtime
 * driver written by hand, against the same engine. Batches alternate between the three, in a
 * rotating order, so machine noise lands on all alike. Last, a fresh child process measures the
 * gateway's memory with 32 idle sandboxes.
 *
 *   npm run bench:local                     (BENCH_QUICK=1 for a short smoke run)
 *   BENCH_RUNTIME=podman npm run bench:local
 *   BENCH_IDLE_ONLY=1 npm run bench:local   (only the engine requests of 8 idle sandboxes)
 *
 * Everything it creates carries the label openshell.ai/bench=local (the local gateways are
 * ephemeral too) and is removed at the start and at the end, failure or Ctrl-C included.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OpenShell } from "../../src/index.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { type RequestCounts, startEngineProxy } from "../../test/support/engine-proxy.js";
import { type BenchEngine, benchEngine, IMAGE, removeBenchObjects, removeNetwork } from "../shared/engine.js";
import { loadAverage } from "../shared/machine.js";
import { socketCount } from "../shared/memory-snapshot.js";
import { median, mib, ms, percentile, ratio, runSchedule } from "../shared/rounds.js";
import { runBench } from "../shared/run-bench.js";
import { localWay } from "../shared/sandbox-round.js";
import { countIdleRequests, type IdleCount, printIdle } from "./idle.js";
import { type MemoryReport, type MemorySnapshot, measureMemory } from "./memory.js";
import { BENCH_LABELS, bareWay, PHASES, type PhaseTimes, type Way } from "./ways.js";

const quick = process.env.BENCH_QUICK === "1";

const WARMUP_ROUNDS = 2;
/** Sequential workload: rounds per way, in batches of this many before the next way's turn. */
const SEQ_ROUNDS = quick ? 4 : 20;
const SEQ_BATCH = 2;
/** Parallel workload: rounds per batch, how many in flight, and how many batches per way. */
const PAR_ROUNDS = quick ? 8 : 20;
const PAR_IN_FLIGHT = 8;
const PAR_BATCHES = quick ? 1 : 6;
/** Rounds per way through the counting proxy (untimed). */
const PROFILE_ROUNDS = quick ? 2 : 4;
/** Idle sandboxes for the memory measure. */
const MEMORY_SANDBOXES = quick ? 8 : 32;

const BARE = "bare driver";
const IN_PROCESS = "local in-process";
const MTLS = "local mTLS";

/** Closed at the end and on Ctrl-C; a crash leaves the ephemeral gateways to their reapers. */
const closers: (() => Promise<unknown>)[] = [];

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  const engine = benchEngine();
  const bare = await createRuntime({ runtime: engine.kind, endpoint: engine.endpoint });
  closers.push(() => removeBenchObjects(bare, BENCH_LABELS));
  const info = await bare.info();
  if (!(await bare.hasImage(IMAGE)))
    throw new Error(`image ${IMAGE} is missing (bash scripts/engines.sh makes it)`);
  const leftovers = await removeBenchObjects(bare, BENCH_LABELS);
  if (leftovers > 0) console.log(`removed ${leftovers} object(s) left over by an earlier run`);
  if (process.env.BENCH_IDLE_ONLY === "1") {
    const idle = await idleOnly(engine);
    console.log(
      `\nopenshell local mode on ${engine.kind} ${info.version} (Node ${process.version}, ${IMAGE})\n`,
    );
    printIdle(idle, shownRequest);
    return;
  }

  // The bare side's network, made once as local mode makes its own once.
  const network = `openshell-bench-local-${bare.sessionId}`;
  await bare.createNetwork({ name: network, labels: BENCH_LABELS });

  const os = await OpenShell.local({
    runtime: engine.kind,
    runtimeOptions: { endpoint: engine.endpoint },
    ephemeral: true,
  });
  closers.unshift(() => os.close());
  const listener = await (os.localGateway as NonNullable<typeof os.localGateway>).listen();
  const home = mkdtempSync(join(tmpdir(), "openshell-bench-local-"));
  const remote = await OpenShell.connect({
    endpoint: listener.endpoint,
    tls: {
      ca: listener.certificates.ca,
      cert: listener.certificates.client.cert,
      key: listener.certificates.client.key,
    },
    env: {},
    homeDir: home,
  });
  closers.unshift(async () => {
    await remote.close();
    await listener.close();
    rmSync(home, { recursive: true, force: true });
  });

  const ways: Way[] = [
    bareWay(bare, network),
    localWay(IN_PROCESS, os, BENCH_LABELS),
    localWay(MTLS, remote, BENCH_LABELS),
  ];
  const { sequential, parallel } = await runSchedule(ways, {
    warmupRounds: WARMUP_ROUNDS,
    seqRounds: SEQ_ROUNDS,
    seqBatch: SEQ_BATCH,
    parBatches: PAR_BATCHES,
    parRounds: PAR_ROUNDS,
    parInFlight: PAR_IN_FLIGHT,
  });

  await closers.shift()?.(); // the mTLS client and listener
  await closers.shift()?.(); // the in-process gateway
  await removeNetwork(bare, network).catch((error: unknown) => {
    console.error(`note: the bare side's network ${network} could not be removed: ${String(error)}`);
  });

  const profile = await profileRequests(engine);
  const memory = await memoryInChild();

  console.log(
    `\nopenshell local mode vs the bare ${engine.kind} driver (Node ${process.version}, ` +
      `${engine.kind} ${info.version}${info.apiVersion ? `, API ${info.apiVersion}` : ""}, ${IMAGE})\n`,
  );
  console.log(`load average (1, 5, 15 min): ${loadAtStart} at the start, ${loadAverage()} at the end\n`);
  console.log(`Sequential: ${SEQ_ROUNDS} rounds per way, per-round wall time (ms)\n`);
  printSequential(sequential);
  console.log(
    `\nParallel: ${PAR_ROUNDS} rounds, ${PAR_IN_FLIGHT} in flight, median of ${PAR_BATCHES} batch(es) per way\n`,
  );
  printParallel(parallel);
  console.log(`\nEngine requests per round (${PROFILE_ROUNDS} rounds per way through a counting proxy)\n`);
  printProfile(profile);
  console.log(
    `\nGateway memory (OpenShell.local() in-process, a fresh process, ${memory.sandboxes} idle sandboxes)\n`,
  );
  printMemory(memory);
}

interface Profile {
  name: string;
  connections: number;
  requests: Map<string, number>;
}

interface RequestProfile {
  rounds: Profile[];
  /** What the local gateway asks of the engine with its sandboxes doing nothing. */
  idle: IdleCount;
}

/**
 * The same rounds through a proxy that counts the engine requests each way makes: the bare driver
 * and a second ephemeral local gateway, both on the proxy's socket (over mTLS the gateway makes the
 * same engine requests as in-process). Then what the gateway asks of the engine while its sandboxes
 * sit idle.
 */
async function profileRequests(engine: BenchEngine): Promise<RequestProfile> {
  const proxy = await startEngineProxy(engine.socketPath);
  const endpoint = { kind: "unix" as const, socketPath: proxy.socketPath };
  const bare = await createRuntime({ runtime: engine.kind, endpoint });
  const network = `openshell-bench-local-${bare.sessionId}`;
  await bare.createNetwork({ name: network, labels: BENCH_LABELS });
  const os = await OpenShell.local({ runtime: engine.kind, runtimeOptions: { endpoint }, ephemeral: true });
  try {
    const rounds: Profile[] = [];
    for (const way of [bareWay(bare, network), localWay(IN_PROCESS, os, BENCH_LABELS)]) {
      await way.round(); // not counted: the first round loads code and opens the gateway's watch
      await settle();
      proxy.take();
      for (let i = 0; i < PROFILE_ROUNDS; i++) await way.round();
      await settle();
      const counts: RequestCounts = proxy.take();
      rounds.push({ name: way.name, connections: counts.connections, requests: counts.requests });
    }
    return { rounds, idle: await countIdleRequests(os, proxy, BENCH_LABELS) };
  } finally {
    await os.close();
    await removeNetwork(bare, network).catch(() => undefined);
    await proxy.close();
  }
}

/** The idle count alone, on a gateway of its own behind a counting proxy. */
async function idleOnly(engine: BenchEngine): Promise<IdleCount> {
  const proxy = await startEngineProxy(engine.socketPath);
  const endpoint = { kind: "unix" as const, socketPath: proxy.socketPath };
  const os = await OpenShell.local({ runtime: engine.kind, runtimeOptions: { endpoint }, ephemeral: true });
  try {
    return await countIdleRequests(os, proxy, BENCH_LABELS);
  } finally {
    await os.close();
    await proxy.close();
  }
}

/** The proxy strips a leading /vX.Y; libpod's /v4.0.0/libpod paths keep a stray ".0". */
const shownRequest = (key: string) => key.replace(/ \.\d+\/libpod\//, " /libpod/");

/** Lets background work (the gateway's refreshes after the last event) finish before counting. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/** The memory measure in a fresh `node` running this same file, with --expose-gc when it can. */
async function memoryInChild(): Promise<MemoryReport> {
  const self = fileURLToPath(import.meta.url);
  const flags = process.execArgv.includes("--expose-gc")
    ? process.execArgv
    : [...process.execArgv, "--expose-gc"];
  const child = spawn(process.execPath, [...flags, self, "memory", String(MEMORY_SANDBOXES)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const line = out.split("\n").find((l) => l.startsWith("MEMORY "));
  if (code !== 0 || line === undefined) throw new Error(`the memory probe failed (exit ${code}): ${out}`);
  return JSON.parse(line.slice("MEMORY ".length)) as MemoryReport;
}

const total = (t: PhaseTimes) => PHASES.reduce((sum, p) => sum + t[p], 0);

function printSequential(samples: Map<string, PhaseTimes[]>): void {
  const bareTotals = (samples.get(BARE) ?? []).map(total);
  console.log(
    `| way | round p50 | round p90 | p50 / bare | p90 / bare | ${PHASES.map((p) => `${p} p50`).join(" | ")} |`,
  );
  console.log(`|---|---|---|---|---|${PHASES.map(() => "---").join("|")}|`);
  for (const [name, rounds] of samples) {
    const totals = rounds.map(total);
    const phases = PHASES.map((p) => ms(median(rounds.map((r) => r[p]))));
    console.log(
      `| ${name} | ${ms(median(totals))} | ${ms(percentile(totals, 90))} | ` +
        `${ratio(median(totals), median(bareTotals))} | ` +
        `${ratio(percentile(totals, 90), percentile(bareTotals, 90))} | ${phases.join(" | ")} |`,
    );
  }
}

function printParallel(samples: Map<string, number[]>): void {
  const bareWalls = samples.get(BARE) ?? [];
  console.log("| way | wall time p50 (ms) | rounds/s | p50 / bare | same-batch ratio p50 | batches (ms) |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, walls] of samples) {
    const wall = median(walls);
    // Each batch against the bare driver's of the same turn: steadier when the machine's load drifts.
    const paired = median(walls.map((w, i) => w / (bareWalls[i] ?? Number.NaN)));
    console.log(
      `| ${name} | ${ms(wall)} | ${(PAR_ROUNDS / (wall / 1000)).toFixed(2)} | ${ratio(wall, median(bareWalls))} | ` +
        `${paired.toFixed(2)}x | ${walls.map(ms).join(", ")} |`,
    );
  }
}

function printProfile({ rounds: profile, idle }: RequestProfile): void {
  const keys = [...new Set(profile.flatMap((p) => [...p.requests.keys()]))].sort();
  const shown = shownRequest;
  const perRound = (n: number) => (n / PROFILE_ROUNDS).toFixed(2).replace(/\.?0+$/, "");
  console.log(`| request | ${profile.map((p) => p.name).join(" | ")} |`);
  console.log(`|---|${profile.map(() => "---").join("|")}|`);
  for (const key of keys) {
    console.log(`| ${shown(key)} | ${profile.map((p) => perRound(p.requests.get(key) ?? 0)).join(" | ")} |`);
  }
  const sum = (p: Profile) => [...p.requests.values()].reduce((a, b) => a + b, 0);
  console.log(`| **all requests** | ${profile.map((p) => perRound(sum(p))).join(" | ")} |`);
  console.log(`| connections opened | ${profile.map((p) => perRound(p.connections)).join(" | ")} |`);
  console.log("");
  printIdle(idle, shown);
}

function printMemory(report: MemoryReport): void {
  if (!report.gcExposed) console.log("(no --expose-gc: figures are without a forced GC, so noisier)\n");
  const rows: [string, MemorySnapshot][] = [
    ["Node, bench code loaded", report.before],
    ["gateway started, warmed, 0 sandboxes", report.idle],
    [`${report.sandboxes} sandboxes ready and idle`, report.loaded],
    ["all deleted again", report.after],
  ];
  const sockets = (s: MemorySnapshot) => socketCount(s.resources);
  const cpu = (s: MemorySnapshot) =>
    s.idleCpuPercent === undefined ? "" : `${s.idleCpuPercent.toFixed(1)}%`;
  console.log(
    "| state | RSS (MiB) | peak RSS (MiB) | heap used (MiB) | external (MiB) | sockets open | idle CPU (one core) |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const [label, s] of rows) {
    console.log(
      `| ${label} | ${mib(s.rss)} | ${mib(s.peakRss)} | ${mib(s.heapUsed)} | ${mib(s.external)} | ` +
        `${sockets(s)} | ${cpu(s)} |`,
    );
  }
  const n = report.sandboxes;
  const delta = (bytes: number) => `${bytes < 0 ? "" : "+"}${mib(bytes)} MiB`;
  const each = (bytes: number) => `${delta(bytes)} (${(bytes / n / 1024).toFixed(0)} KiB each)`;
  const d = (f: (s: MemorySnapshot) => number) => f(report.loaded) - f(report.idle);
  console.log(
    `\nwith ${n} sandboxes vs none: heap ${each(d((s) => s.heapUsed))}, RSS ${each(d((s) => s.rss))}, ` +
      `peak RSS ${each(d((s) => s.peakRss))}, sockets +${d(sockets)}; ` +
      `after deleting them all, heap ${delta(report.after.heapUsed - report.idle.heapUsed)} vs none`,
  );
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const close of closers.splice(0)) {
      await close().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
    }
  })();
  return cleaning;
}

if (process.argv[2] === "memory") {
  // The child: measure, print one line, leave.
  measureMemory(benchEngine(), Number(process.argv[3] ?? MEMORY_SANDBOXES))
    .then((report) => console.log(`MEMORY ${JSON.stringify(report)}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
} else {
  runBench(main, cleanup);
}
