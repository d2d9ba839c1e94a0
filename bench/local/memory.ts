/**
 * The gateway's memory with idle sandboxes: run in a fresh child process (so nothing the timed rounds
 * left on the heap counts), it starts `OpenShell.local()` in-process, warms it with 16 rounds, then
 * creates the sandboxes, waits until all are ready and idle, and reads the process's memory
 * after a full GC at each step. It prints one JSON line for the parent to report.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Sandbox } from "../../src/client/sandboxes/sandbox.js";
import { OpenShell } from "../../src/index.js";
import { type BenchEngine, IMAGE } from "../shared/engine.js";
import { gcExposed, idleCpu, type MemorySnapshot, snapshot } from "../shared/memory-snapshot.js";
import { inFlight } from "../shared/rounds.js";
import { localWay } from "../shared/sandbox-round.js";
import { BENCH_LABELS } from "./ways.js";

export type { MemorySnapshot } from "../shared/memory-snapshot.js";

export interface MemoryReport {
  sandboxes: number;
  gcExposed: boolean;
  /** Node with the benchmark's code loaded, no gateway yet. */
  before: MemorySnapshot;
  /** The gateway started and warmed by one round, no sandbox. */
  idle: MemorySnapshot;
  /** With every sandbox ready and left idle for a few seconds. */
  loaded: MemorySnapshot;
  /** After deleting them all. */
  after: MemorySnapshot;
}

/** Rounds (8 at a time) before the baseline is read. */
const WARM_UP_ROUNDS = 16;
/** How long the process is watched doing nothing, for its idle CPU. */
const IDLE_WINDOW_MS = 5000;

export async function measureMemory(engine: BenchEngine, count: number): Promise<MemoryReport> {
  const before = await snapshot();
  const os = await OpenShell.local({
    runtime: engine.kind,
    runtimeOptions: { endpoint: engine.endpoint },
    ephemeral: true,
  });
  try {
    // Warm every path the measure takes (parallel creates included), so compiled code and lazily
    // made objects count in the baseline, not against the sandboxes.
    const warmUp = localWay("warm-up", os, BENCH_LABELS);
    await inFlight(WARM_UP_ROUNDS, 8, () => warmUp.round());
    await sleep(1000);
    const idleCpuPercent = await idleCpu(IDLE_WINDOW_MS);
    const idle = { ...(await snapshot()), idleCpuPercent };
    const sandboxes: Sandbox[] = [];
    await inFlight(count, 8, async (i) => {
      const sb = await os.sandboxes.create({
        name: `mem-${i}`,
        image: IMAGE,
        containerLabels: BENCH_LABELS,
      });
      sandboxes.push(sb);
      await sb.ready({ timeoutMs: 120_000 });
    });
    // Idle: no exec, no watcher; only the gateway's own watch and log pumps run.
    await sleep(2000);
    const loadedCpuPercent = await idleCpu(IDLE_WINDOW_MS);
    const loaded = { ...(await snapshot()), idleCpuPercent: loadedCpuPercent };
    await inFlight(sandboxes.length, 8, async (i) => {
      const sb = sandboxes[i] as Sandbox;
      await sb.delete();
      await sb.deleted({ timeoutMs: 120_000 });
    });
    await sleep(1000);
    const after = await snapshot();
    return { sandboxes: count, gcExposed, before, idle, loaded, after };
  } finally {
    await os.close();
  }
}
