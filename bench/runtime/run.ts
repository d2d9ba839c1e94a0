/**
 * Runtime driver overhead, side by side in one process: a container round (create, start, exec
 * `true` to its exit code, remove by force) through the SDK's Docker driver, through bare dockerode
 * written by hand, and through the docker CLI, against the same engine. Batches alternate between
 * the three, in a rotating order, so machine noise lands on all alike.
 *
 *   npm run bench:runtime            (BENCH_QUICK=1 for a short smoke run)
 *
 * Everything it creates carries the label openshell.ai/bench=1 and is removed by that label at the
 * start and at the end, failure or Ctrl-C included.
 */
import Docker from "dockerode";
import { type EngineProxy, startEngineProxy } from "../../test/support/engine-proxy.js";
import { median, ms, percentile, ratio, runSchedule } from "../shared/rounds.js";
import { runBench } from "../shared/run-bench.js";
import {
  bareStats,
  cliWay,
  dockerodeWay,
  driverWay,
  IMAGE,
  PHASES,
  type PhaseTimes,
  removeBenchContainers,
  type Way,
} from "./ways.js";

const quick = process.env.BENCH_QUICK === "1";
const SOCKET = process.env.BENCH_DOCKER_SOCKET ?? "/var/run/docker.sock";

const WARMUP_ROUNDS = 2;
/** Sequential workload: rounds per way, in batches of this many before the next way's turn. */
const SEQ_ROUNDS = quick ? 6 : 20;
const SEQ_BATCH = 2;
/** Parallel workload: rounds per batch, how many in flight, and how many batches per way. */
const PAR_ROUNDS = quick ? 8 : 20;
const PAR_IN_FLIGHT = 8;
const PAR_BATCHES = quick ? 1 : 6;
/** Rounds per way through the counting proxy (untimed). */
const PROFILE_ROUNDS = quick ? 2 : 4;

async function main(): Promise<void> {
  const docker = new Docker({ socketPath: SOCKET });
  const version = await docker.version().catch((error: unknown) => {
    throw new Error(
      `the Docker engine does not answer on ${SOCKET} (bash scripts/engines.sh starts it): ${String(error)}`,
    );
  });
  await docker
    .getImage(IMAGE)
    .inspect()
    .catch(() => {
      throw new Error(`image ${IMAGE} is missing (bash scripts/engines.sh makes it)`);
    });
  const leftovers = await removeBenchContainers(SOCKET);
  if (leftovers > 0) console.log(`removed ${leftovers} container(s) left over by an earlier run`);

  const ways: Way[] = [await driverWay(SOCKET), dockerodeWay(SOCKET), cliWay(SOCKET)];
  const names = ways.map((w) => w.name);

  const { sequential, parallel } = await runSchedule(ways, {
    warmupRounds: WARMUP_ROUNDS,
    seqRounds: SEQ_ROUNDS,
    seqBatch: SEQ_BATCH,
    parBatches: PAR_BATCHES,
    parRounds: PAR_ROUNDS,
    parInFlight: PAR_IN_FLIGHT,
    afterWarmup: () => {
      bareStats.inspects = 0;
      bareStats.stillRunning = 0;
    },
  });
  const bareInspects = { ...bareStats };

  // Profile: the same rounds through a proxy that counts the engine requests each way makes.
  const proxy = await startEngineProxy(SOCKET);
  const profile = await profileRequests(proxy);
  await proxy.close();

  console.log(
    `\nopenshell Docker driver vs bare dockerode vs docker CLI (Node ${process.version}, ` +
      `Docker ${version.Version}, API ${version.ApiVersion}, ${IMAGE})\n`,
  );
  console.log(`Sequential: ${SEQ_ROUNDS} rounds per way, per-round wall time (ms)\n`);
  printSequential(sequential);
  console.log(
    `\nParallel: ${PAR_ROUNDS} rounds, ${PAR_IN_FLIGHT} in flight, median of ${PAR_BATCHES} batch(es) per way\n`,
  );
  printParallel(parallel);
  console.log(`\nEngine requests per round (${PROFILE_ROUNDS} rounds per way through a counting proxy)\n`);
  printProfile(profile, names);
  console.log(
    `\nbare dockerode: ${bareInspects.stillRunning} of ${bareInspects.inspects} exec inspects after the ` +
      "stream's end still said Running (polled again after 10 ms)",
  );
}

interface Profile {
  name: string;
  connections: number;
  requests: Map<string, number>;
}

async function profileRequests(proxy: EngineProxy): Promise<Profile[]> {
  const ways = [await driverWay(proxy.socketPath), dockerodeWay(proxy.socketPath), cliWay(proxy.socketPath)];
  proxy.take(); // the driver's connect (one info call) is not part of a round
  const out: Profile[] = [];
  for (const way of ways) {
    for (let i = 0; i < PROFILE_ROUNDS; i++) await way.round();
    // Let the driver's watchdog timer and any keep-alive traffic settle before reading the counts.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const counts = proxy.take();
    out.push({ name: way.name, connections: counts.connections, requests: counts.requests });
  }
  return out;
}

function printSequential(samples: Map<string, PhaseTimes[]>): void {
  const total = (t: PhaseTimes) => PHASES.reduce((sum, p) => sum + t[p], 0);
  const bare = median((samples.get("dockerode") ?? []).map(total));
  const bareP90 = percentile((samples.get("dockerode") ?? []).map(total), 90);
  console.log(
    `| way | round p50 | round p90 | p50 / dockerode | p90 / dockerode | ${PHASES.map((p) => `${p} p50`).join(" | ")} |`,
  );
  console.log(`|---|---|---|---|---|${PHASES.map(() => "---").join("|")}|`);
  for (const [name, rounds] of samples) {
    const totals = rounds.map(total);
    const phases = PHASES.map((p) => ms(median(rounds.map((r) => r[p]))));
    console.log(
      `| ${name} | ${ms(median(totals))} | ${ms(percentile(totals, 90))} | ${ratio(median(totals), bare)} | ` +
        `${ratio(percentile(totals, 90), bareP90)} | ${phases.join(" | ")} |`,
    );
  }
}

function printParallel(samples: Map<string, number[]>): void {
  const bareWalls = samples.get("dockerode") ?? [];
  const bare = median(bareWalls);
  console.log(
    "| way | wall time p50 (ms) | rounds/s | p50 / dockerode | same-batch ratio p50 | batches (ms) |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [name, walls] of samples) {
    const wall = median(walls);
    // Each batch against dockerode's in the same batch: steadier when the machine's load drifts.
    const paired = median(walls.map((w, i) => w / (bareWalls[i] ?? Number.NaN)));
    console.log(
      `| ${name} | ${ms(wall)} | ${(PAR_ROUNDS / (wall / 1000)).toFixed(2)} | ${ratio(wall, bare)} | ` +
        `${paired.toFixed(2)}x | ${walls.map(ms).join(", ")} |`,
    );
  }
}

function printProfile(profile: Profile[], names: string[]): void {
  const keys = [...new Set(profile.flatMap((p) => [...p.requests.keys()]))].sort();
  const perRound = (n: number) => (n / PROFILE_ROUNDS).toFixed(2).replace(/\.?0+$/, "");
  console.log(`| request | ${names.join(" | ")} |`);
  console.log(`|---|${names.map(() => "---").join("|")}|`);
  for (const key of keys) {
    console.log(`| ${key} | ${profile.map((p) => perRound(p.requests.get(key) ?? 0)).join(" | ")} |`);
  }
  const sum = (p: Profile) => [...p.requests.values()].reduce((a, b) => a + b, 0);
  console.log(`| **all requests** | ${profile.map((p) => perRound(sum(p))).join(" | ")} |`);
  console.log(`| connections opened | ${profile.map((p) => perRound(p.connections)).join(" | ")} |`);
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= removeBenchContainers(SOCKET).then(
    () => {},
    (error: unknown) => console.error(`cleanup by label failed: ${String(error)}`),
  );
  return cleaning;
}

runBench(main, cleanup);
