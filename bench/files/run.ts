/**
 * `sb.files` throughput, side by side in one process (issue 16's figures):
 *
 * 1. the scripted test gateway over mTLS (in a child process; sandboxes are host processes):
 *    `upload()` and `download()` beside an exec streaming the same file to stdout (`cat`). The SDK
 *    side runs in a process of its own (client-child.ts) that loads only the client, so its RSS is
 *    what a program using the client alone holds.
 * 2. local mode on Docker: `upload()` and `download()` of a random file beside `docker cp` and
 *    `docker exec` into and out of the same container, the first way rotating round by round;
 *    MiB/s, the ratio SDK / docker cp (goal: at least 0.8x), and the RSS of the process running the
 *    SDK before and at its peak during its transfers (sampled every 20 ms; goal: under 100 MiB).
 *    That process (local-child.ts) holds the SDK, its embedded gateway (whose CPU and memory count)
 *    and this part's code only. The same transfers into a sandbox with local mode's default policy
 *    (where `docker cp` cannot reach) are compared with `docker exec`.
 * 3. each of local mode's transfers alone in a fresh process (fresh-process.ts): the peak RSS a
 *    program that starts, makes a sandbox and moves one file reaches (the kernel's VmHWM).
 *
 *   npm run bench:files   (BENCH_QUICK=1: 64 MiB, 2 rounds; BENCH_FILE_MIB, BENCH_GATEWAY_MIB, BENCH_ROUNDS,
 *   BENCH_FRESH_ROUNDS)
 *
 * Sandboxes carry openshell.ai/bench=files and the local gateway is ephemeral; everything is
 * removed at the end, on failure and on Ctrl-C.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { benchEngine, IMAGE, removeBenchObjects } from "../shared/engine.js";
import { loadAverage } from "../shared/machine.js";
import { median } from "../shared/rounds.js";
import { runBench } from "../shared/run-bench.js";
import { FRESH_WAYS, type FreshResult } from "./fresh-process.js";
import { DEFAULT_POLICY_WAY, FILES_LABELS, SIZE_ONLY_WAY } from "./local-docker.js";
import { type FileToMove, fileSha256, MiB, randomFile, type Transfer } from "./measure.js";
import { runClientChild, runFreshChild, runLocalChild } from "./part-children.js";
import type { Samples } from "./samples.js";

const quick = process.env.BENCH_QUICK === "1";
const FILE_MIB = Number(process.env.BENCH_FILE_MIB ?? (quick ? 64 : 256));
const GATEWAY_MIB = Number(process.env.BENCH_GATEWAY_MIB ?? (quick ? 64 : 128));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 5));
const WARMUP_MIB = 8;
const FRESH_ROUNDS = Number(process.env.BENCH_FRESH_ROUNDS ?? (quick ? 1 : 2));
const RATIO_GOAL = 0.8;
const RSS_GOAL_MIB = 100;

const closers: (() => Promise<unknown>)[] = [];
/** The run's local files; made in main(), since the gateway child loads this module too. */
let localDir = "";

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  localDir = mkdtempSync(join(tmpdir(), "openshell-bench-files-"));
  const engine = benchEngine();
  const runtime = await createRuntime({ runtime: engine.kind, endpoint: engine.endpoint });
  closers.push(async () => {
    await removeBenchObjects(runtime, FILES_LABELS);
    await runtime.close();
  });
  const leftovers = await removeBenchObjects(runtime, FILES_LABELS);
  if (leftovers > 0) console.log(`removed ${leftovers} object(s) left over by an earlier run`);

  const warmup = await makeFile("warmup.bin", WARMUP_MIB);
  const file = await makeFile("source.bin", FILE_MIB);
  const gatewayFile = GATEWAY_MIB === FILE_MIB ? file : await makeFile("gateway.bin", GATEWAY_MIB);
  console.log(`test gateway: ${GATEWAY_MIB} MiB, ${ROUNDS} rounds`);
  const gateway = await runClientChild({ file: gatewayFile, warmup, rounds: ROUNDS, localDir }, closers);
  const loadMid = loadAverage();
  console.log(`local mode on docker: ${FILE_MIB} MiB, ${ROUNDS} rounds`);
  const local = await runLocalChild({ file, warmup, rounds: ROUNDS, localDir }, closers);
  console.log(`each transfer alone in a fresh process: ${FRESH_WAYS.length} ways, ${FRESH_ROUNDS} rounds`);
  const fresh: FreshResult[] = [];
  for (let round = 0; round < FRESH_ROUNDS; round++)
    for (const way of FRESH_WAYS) fresh.push(await runFreshChild({ way, file, localDir }, closers));

  console.log(
    `\nsandbox.files vs docker cp, docker exec and exec stdout (Node ${process.version}, docker ${local.dockerVersion}, ${IMAGE})`,
  );
  console.log(
    `load average (1, 5, 15 min): ${loadAtStart} at the start, ${loadMid} after the test gateway, ${loadAverage()} at the end`,
  );
  console.log(
    `RSS of the local part's process (the SDK and its embedded gateway, nothing else): ${local.rssStartMiB.toFixed(1)} MiB at its start (the SDK imported), ${local.rssReadyMiB.toFixed(1)} MiB with the local gateway up, the sandboxes ready and the warm-up done\n`,
  );
  console.log(`Local mode on Docker (OpenShell.local in a process of its own), median of ${ROUNDS} rounds\n`);
  console.log(
    "| measure | SDK | docker cp | docker exec | SDK / docker cp | SDK / docker exec | SDK CPU s | SDK RSS before -> peak | SDK Buffers peak |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const [measure, ways] of local.samples) {
    const sdk = ways.get("sdk") ?? [];
    const cp = ways.get("docker cp");
    const exec = ways.get("docker exec");
    console.log(
      `| ${measure} | ${rateOf(sdk)} | ${rateOf(cp)} | ${rateOf(exec)} | ${ratioOf(sdk, cp)} | ${ratioOf(sdk, exec)} | ${cpu(sdk)} | ${rss(sdk)} | ${buffers(sdk)} |`,
    );
  }
  for (const [measure, ways] of local.samples) {
    const sized = ways.get(SIZE_ONLY_WAY);
    const cp = ways.get("docker cp");
    if (sized === undefined) continue;
    console.log(
      `\n${measure} with verify: "size" (no checksum pass in the sandbox): ${rateOf(sized)}, ${ratioOf(sized, cp)} of docker cp, RSS ${rss(sized)}`,
    );
  }
  console.log(
    "\nThe same, into a sandbox with local mode's default policy (read-only root, /tmp on tmpfs: docker cp cannot reach it)\n",
  );
  console.log(
    "| measure | SDK, default policy | docker exec (writable root) | ratio | SDK CPU s | SDK RSS before -> peak |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [measure, ways] of local.samples) {
    const sdk = ways.get(DEFAULT_POLICY_WAY);
    if (sdk === undefined) continue;
    const exec = ways.get("docker exec");
    console.log(
      `| ${measure} | ${rateOf(sdk)} | ${rateOf(exec)} | ${ratioOf(sdk, exec)} | ${cpu(sdk)} | ${rss(sdk)} |`,
    );
  }
  const [up, down] = [...local.samples.values()].map((w) => w.get("sdk") ?? []);
  const total = (ts: Transfer[]) => median(ts.map((t) => (FILE_MIB / t.mibPerSecond) * 1000));
  const mark = (ts: Transfer[]) => median(ts.map((t) => t.markMs));
  if (up && down) {
    console.log(
      `\nSDK upload: last byte sent at ${mark(up).toFixed(0)} ms of ${total(up).toFixed(0)} ms (the rest: stdin closed, ` +
        `the sandbox's size and checksum check, the rename); md5sum of the file in the container alone: ` +
        `${median(local.md5sumMs).toFixed(0)} ms (docker exec).`,
    );
    console.log(`SDK download: first byte at ${mark(down).toFixed(0)} ms of ${total(down).toFixed(0)} ms.`);
  }

  console.log(
    `\nTest gateway (mTLS on loopback, in a child process; host-process sandboxes; the SDK in a process holding only the client), median of ${ROUNDS} rounds\n`,
  );
  console.log(
    "| measure | SDK | SDK / exec stdout | SDK CPU s | SDK RSS before -> peak | SDK Buffers peak |",
  );
  console.log("|---|---|---|---|---|---|");
  const execSamples = [...gateway.entries()].find(([m]) => m.startsWith("exec"))?.[1].get("sdk");
  for (const [measure, ways] of gateway) {
    const sdk = ways.get("sdk") ?? [];
    console.log(
      `| ${measure} | ${rateOf(sdk)} | ${ratioOf(sdk, execSamples)} | ${cpu(sdk)} | ${rss(sdk)} | ${buffers(sdk)} |`,
    );
  }
  printFresh(fresh);
  printGoals(local.samples, fresh);
}

function printFresh(fresh: FreshResult[]): void {
  console.log(
    `\nEach transfer alone in a fresh process (OpenShell.local, one sandbox, one ${FILE_MIB} MiB transfer; peak = the kernel's VmHWM, reset just before the transfer), ${FRESH_ROUNDS} rounds\n`,
  );
  console.log(
    "| transfer | SDK (median) | RSS at start | RSS ready | peak RSS during the transfer (highest) |",
  );
  console.log("|---|---|---|---|---|");
  for (const way of FRESH_WAYS) {
    const runs = fresh.filter((r) => r.way === way);
    const m = (pick: (r: FreshResult) => number) => median(runs.map(pick)).toFixed(1);
    console.log(
      `| ${way} | ${m((r) => r.mibPerSecond)} MiB/s | ${m((r) => r.rssStartMiB)} MiB | ${m((r) => r.rssReadyMiB)} MiB | ${Math.max(...runs.map((r) => r.peakMiB)).toFixed(1)} MiB |`,
    );
  }
}

function printGoals(samples: Samples, fresh: FreshResult[]): void {
  console.log(
    `\nGoals: SDK / docker cp >= ${RATIO_GOAL}x; peak RSS < ${RSS_GOAL_MIB} MiB during the SDK's transfers`,
  );
  for (const [measure, ways] of samples) {
    const sdk = ways.get("sdk") ?? [];
    const cp = ways.get("docker cp");
    if (cp === undefined) continue;
    const r = median(sdk.map((t) => t.mibPerSecond)) / median(cp.map((t) => t.mibPerSecond));
    const peak = Math.max(...sdk.map((t) => t.rssPeakMiB));
    console.log(
      `  ${measure}: ratio ${r.toFixed(2)}x ${r >= RATIO_GOAL ? "met" : "NOT met"}; ` +
        `peak RSS ${peak.toFixed(1)} MiB ${peak < RSS_GOAL_MIB ? "met" : "NOT met"} (the rounds' process)`,
    );
  }
  for (const way of FRESH_WAYS) {
    const peak = Math.max(...fresh.filter((r) => r.way === way).map((r) => r.peakMiB));
    console.log(
      `  ${way}, fresh process: peak RSS ${peak.toFixed(1)} MiB ${peak < RSS_GOAL_MIB ? "met" : "NOT met"}`,
    );
  }
}

async function makeFile(name: string, mib: number): Promise<FileToMove> {
  const path = join(localDir, name);
  await randomFile(path, mib * MiB);
  return { path, bytes: mib * MiB, sha256: await fileSha256(path) };
}

const rateOf = (ts: Transfer[] | undefined): string =>
  ts ? `${median(ts.map((t) => t.mibPerSecond)).toFixed(1)} MiB/s` : "-";
const ratioOf = (a: Transfer[], b: Transfer[] | undefined): string =>
  b ? `${(median(a.map((t) => t.mibPerSecond)) / median(b.map((t) => t.mibPerSecond))).toFixed(2)}x` : "-";
const cpu = (ts: Transfer[]): string => median(ts.map((t) => t.cpuSeconds)).toFixed(2);
/** The median RSS before a transfer, and the highest peak of any round. */
const rss = (ts: Transfer[]): string =>
  `${median(ts.map((t) => t.rssBeforeMiB)).toFixed(1)} -> ${Math.max(...ts.map((t) => t.rssPeakMiB)).toFixed(1)} MiB`;
const buffers = (ts: Transfer[]): string =>
  `${Math.max(...ts.map((t) => t.arrayBuffersPeakMiB)).toFixed(1)} MiB`;

runBench(main, async () => {
  for (const close of closers.splice(0)) await close().catch((e: unknown) => console.error(e));
  if (localDir !== "") rmSync(localDir, { recursive: true, force: true });
});
