/**
 * How one local gateway holds up under load: the gateway runs in a child process of its own
 * (`OpenShell.local({ ephemeral: true })` and `listen()` over mTLS on loopback, node --expose-gc),
 * and this process loads it through `OpenShell.connect()` to the name it registered:
 *
 * - 32 sandboxes created at once (8 in flight) and waited ready; each runs an echo server;
 * - 1,000 unary calls at once (Health, GetSandbox, ListSandboxes), in several waves;
 * - 8 execs at once in each of the 32 sandboxes (256 in flight), in several waves;
 * - 64 port forwards at once, each echoing 1 MiB of its own through `sb.forward()`, checked;
 * - the 32 deleted again; then sequential sandbox rounds with the heap read every few rounds;
 * - last, in a second gateway process behind the counting engine proxy, the engine requests that
 *   8 idle sandboxes cost, and how soon a sandbox's exit is noticed.
 *
 * Reported: errors, p50/p99 latency and throughput per scenario, the gateway's RSS peak per scenario,
 * its heap after a full GC before and after the load, the growth per round, every process warning
 * the gateway emitted, and the idle requests.
 *
 *   npm run bench:load                     (BENCH_QUICK=1 for a short run)
 *   BENCH_RUNTIME=podman npm run bench:load
 *
 * Everything carries the label openshell.ai/bench=load; the gateways are ephemeral, and anything a
 * crashed run left is removed by that label at the next start.
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import type { OpenShell, Sandbox } from "../../src/index.js";
import { GATEWAY_LABEL } from "../../src/local/gateway-identity.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { ECHO_PORT, ECHO_SERVER } from "../shared/echo-server.js";
import { benchEngine, benchLabels, IMAGE, removeBenchObjects } from "../shared/engine.js";
import { runGatewayChild } from "../shared/gateway-child.js";
import { type GatewayProcess, startGatewayProcess } from "../shared/gateway-process.js";
import { loadAverage } from "../shared/machine.js";
import { inFlight } from "../shared/rounds.js";
import { runBench } from "../shared/run-bench.js";
import { localWay, nextName } from "../shared/sandbox-round.js";
import { heapDiff } from "./heap-diff.js";
import { heapRounds } from "./heap-rounds.js";
import { idleCost } from "./idle.js";
import { type LoadPass, type LoadReport, printReport, type Scenario } from "./report.js";
import { emptyResult, execLoad, forwardLoad, type ScenarioResult, unaryLoad, within } from "./scenarios.js";

const quick = process.env.BENCH_QUICK === "1";

const LOAD_LABELS = benchLabels("load");
const SANDBOXES = 32;
const CREATE_IN_FLIGHT = 8;
const UNARY_CALLS = 1000;
const UNARY_WAVES = quick ? 1 : 5;
const EXECS_PER_SANDBOX = 8;
const EXEC_WAVES = quick ? 1 : 4;
const FORWARDS = 64;
const FORWARD_BYTES = 1024 * 1024;
const FORWARD_WAVES = quick ? 1 : 3;
/** Two passes: a leak shows as heap growth from the first pass's end to the second's. */
const LOAD_PASSES = quick ? 1 : 2;
const ROUND_PLAN = quick ? { warmUp: 4, rounds: 20, every: 5 } : { warmUp: 10, rounds: 150, every: 25 };
const IDLE_SANDBOXES = 8;
const IDLE_WINDOW_MS = quick ? 5000 : 10_000;

const closers: (() => Promise<unknown>)[] = [];

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  const engine = benchEngine();
  const runtime = await createRuntime({ runtime: engine.kind, endpoint: engine.endpoint });
  closers.push(() => runtime.close());
  closers.unshift(() => removeBenchObjects(runtime, LOAD_LABELS));
  const info = await runtime.info();
  if (!(await runtime.hasImage(IMAGE)))
    throw new Error(`image ${IMAGE} is missing (bash scripts/engines.sh makes it)`);
  const leftovers = await removeBenchObjects(runtime, LOAD_LABELS);
  if (leftovers > 0) console.log(`removed ${leftovers} object(s) left over by an earlier run`);

  const gateway = await startGatewayProcess({
    runtime: engine.kind,
    socketPath: engine.socketPath,
    ephemeral: true,
  });
  closers.unshift(() => gateway.close());
  const os = await gateway.connect();
  closers.unshift(() => os.close());

  progress("warming up");
  await warmUp(os);
  const before = await gateway.snapshot();
  const heapSnapshots = heapSnapshotWriter(gateway);
  await heapSnapshots("before-load");
  const passes: LoadPass[] = [];
  for (let pass = 1; pass <= LOAD_PASSES; pass++) {
    passes.push(await loadPass(os, gateway, pass));
    await heapSnapshots(`after-load-${pass}`);
  }

  progress(`${ROUND_PLAN.rounds} sequential rounds`);
  const rounds = await heapRounds(os, gateway, LOAD_LABELS, ROUND_PLAN);
  const end = await gateway.snapshot();

  await closers.shift()?.(); // the client
  await closers.shift()?.(); // the gateway process
  const left = await leftBehind(runtime, gateway);

  progress(`idle cost of ${IDLE_SANDBOXES} sandboxes`);
  const idle = await idleCost(engine, runtime, LOAD_LABELS, IDLE_SANDBOXES, IDLE_WINDOW_MS);

  const report: LoadReport = {
    header:
      `openshell local gateway under load, ${engine.kind} ${info.version}` +
      `${info.apiVersion ? ` (API ${info.apiVersion})` : ""}, Node ${process.version}, ${IMAGE}`,
    load: `load average (1, 5, 15 min): ${loadAtStart} at the start, ${loadAverage()} at the end`,
    before,
    passes,
    end,
    rounds,
    left,
    idle,
  };
  printReport(report);
}

/**
 * One pass of the load: the sandboxes created and waited ready, the unary, exec and forward waves
 * against them, and their deletion; each scenario with the gateway's RSS peak while it ran.
 */
async function loadPass(os: OpenShell, gateway: GatewayProcess, pass: number): Promise<LoadPass> {
  const scenarios: Scenario[] = [];
  const measure = async <T>(
    name: string,
    unit: string,
    run: () => Promise<T>,
    resultOf: (value: T) => ScenarioResult,
  ): Promise<T> => {
    progress(`pass ${pass}: ${name}`);
    await gateway.resetPeak();
    const value = await run();
    const peakRss = (await gateway.snapshot()).sampledPeakRss;
    scenarios.push({ name, unit, result: resultOf(value), peakRss, loadAverage: loadavg()[0] ?? Number.NaN });
    return value;
  };
  const same = (r: ScenarioResult) => r;
  const { sandboxes } = await measure(
    `create ${SANDBOXES} to ready (${CREATE_IN_FLIGHT} in flight)`,
    "sandboxes",
    () => createSandboxes(os, SANDBOXES),
    (created) => created.result,
  );
  const loaded = await gateway.snapshot();
  const names = sandboxes.map((sb) => sb.name);
  await measure(
    `unary ${UNARY_CALLS} at once x ${UNARY_WAVES}`,
    "calls",
    () => unaryLoad(os, names, UNARY_CALLS, UNARY_WAVES),
    same,
  );
  await measure(
    `exec ${SANDBOXES} x ${EXECS_PER_SANDBOX} at once x ${EXEC_WAVES}`,
    "execs",
    () => execLoad(sandboxes, EXECS_PER_SANDBOX, EXEC_WAVES),
    same,
  );
  await measure(
    `forward ${FORWARDS} x 1 MiB echo at once x ${FORWARD_WAVES}`,
    "forwards",
    () => forwardLoad(sandboxes, ECHO_PORT, FORWARDS, FORWARD_BYTES, FORWARD_WAVES),
    same,
  );
  await measure(
    `delete ${SANDBOXES} (${CREATE_IN_FLIGHT} in flight)`,
    "sandboxes",
    () => deleteSandboxes(sandboxes),
    same,
  );
  return { pass, scenarios, loaded, after: await gateway.snapshot() };
}

/** Every path the load takes, once, so compiled code and lazily made objects count in the baseline. */
async function warmUp(os: OpenShell): Promise<void> {
  const { sandboxes } = await createSandboxes(os, 2);
  await unaryLoad(
    os,
    sandboxes.map((sb) => sb.name),
    30,
    1,
  );
  await execLoad(sandboxes, 4, 1);
  await forwardLoad(sandboxes, ECHO_PORT, 4, 64 * 1024, 1);
  await deleteSandboxes(sandboxes);
  const way = localWay("warm-up", os, LOAD_LABELS);
  await inFlight(8, 4, () => way.round());
}

/** Sandboxes running the echo server, created `CREATE_IN_FLIGHT` at a time, each timed to READY. */
async function createSandboxes(
  os: OpenShell,
  count: number,
): Promise<{ sandboxes: Sandbox[]; result: ScenarioResult }> {
  const result = emptyResult();
  const sandboxes: Sandbox[] = [];
  const t = performance.now();
  await inFlight(count, CREATE_IN_FLIGHT, async () => {
    const start = performance.now();
    result.operations++;
    const sb = await os.sandboxes.create({
      name: nextName("load"),
      image: IMAGE,
      command: [...ECHO_SERVER],
      containerLabels: LOAD_LABELS,
    });
    sandboxes.push(sb);
    await sb.ready({ timeoutMs: 120_000 });
    result.latencies.push(performance.now() - start);
  });
  result.wallMs = performance.now() - t;
  result.waves = 1;
  // The echo server starts with the container; give it a moment to listen before the first forward.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { sandboxes, result };
}

async function deleteSandboxes(sandboxes: readonly Sandbox[]): Promise<ScenarioResult> {
  const result = emptyResult();
  const t = performance.now();
  await inFlight(sandboxes.length, CREATE_IN_FLIGHT, async (i) => {
    const sb = sandboxes[i] as Sandbox;
    const start = performance.now();
    result.operations++;
    await sb.delete();
    await within(sb.deleted({ timeoutMs: 120_000 }), 130_000, () => `${sb.name} not gone`);
    result.latencies.push(performance.now() - start);
  });
  result.wallMs = performance.now() - t;
  result.waves = 1;
  return result;
}

/** What the closed gateway left on the engine: containers and networks carrying its label. */
async function leftBehind(
  runtime: Awaited<ReturnType<typeof createRuntime>>,
  gateway: GatewayProcess,
): Promise<{ containers: number; networks: number }> {
  const labels = { [GATEWAY_LABEL]: gateway.gatewayId };
  const containers = await runtime.listContainers({ labels });
  const networks = await runtime.listNetworks({ labels });
  return { containers: containers.length, networks: networks.length };
}

/**
 * With BENCH_HEAP_SNAPSHOTS=<dir>, the gateway writes a V8 heap snapshot at each call (to compare in
 * Chrome DevTools, or by constructor with bench/load/heap-diff.ts); otherwise nothing.
 */
function heapSnapshotWriter(gateway: GatewayProcess): (label: string) => Promise<void> {
  const dir = process.env.BENCH_HEAP_SNAPSHOTS;
  return async (label) => {
    if (!dir) return;
    const path = join(dir, `gateway-${gateway.pid}-${label}.heapsnapshot`);
    await gateway.writeHeapSnapshot(path);
    console.error(`[bench:load] heap snapshot: ${path}`);
  };
}

const progress = (step: string) => console.error(`[bench:load] ${new Date().toISOString()} ${step}`);

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const close of closers.splice(0)) {
      await close().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
    }
  })();
  return cleaning;
}

if (process.argv[2] === "gateway") {
  void runGatewayChild();
} else if (process.argv[2] === "heap-diff") {
  heapDiff(process.argv[3] ?? "", process.argv[4] ?? "", Number(process.argv[5] ?? 30));
} else {
  runBench(main, cleanup);
}
