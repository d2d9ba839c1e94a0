/**
 * Does the gateway keep anything per sandbox it has deleted? Sequential sandbox rounds (create,
 * ready, exec `true`, delete, gone) through the mTLS client, with the gateway process's heap read
 * after a full GC every few rounds; the growth per round is the slope of a least-squares line through
 * those readings, steadier than the difference of two. With BENCH_HEAP_SNAPSHOTS=<dir> the gateway
 * also writes a V8 heap snapshot before and after, to compare in Chrome DevTools.
 */
import { join } from "node:path";
import type { OpenShell } from "../../src/index.js";
import type { GatewayInternals } from "../shared/gateway-child.js";
import type { GatewayProcess } from "../shared/gateway-process.js";
import { localWay } from "../shared/sandbox-round.js";

export interface HeapSample {
  round: number;
  heapUsed: number;
  internals: GatewayInternals;
}

export interface HeapRounds {
  rounds: number;
  samples: HeapSample[];
  /** Heap growth per round, bytes: the slope of the line through the samples. */
  slope: number;
  /** Round wall times (ms). */
  roundMs: number[];
  errors: string[];
  heapSnapshots: string[];
}

export async function heapRounds(
  os: OpenShell,
  gateway: GatewayProcess,
  labels: Record<string, string>,
  plan: { warmUp: number; rounds: number; every: number },
): Promise<HeapRounds> {
  const way = localWay("round", os, labels);
  for (let i = 0; i < plan.warmUp; i++) await way.round();
  const heapSnapshots: string[] = [];
  const dir = process.env.BENCH_HEAP_SNAPSHOTS;
  const writeSnapshot = async (label: string) => {
    if (!dir) return;
    const path = join(dir, `gateway-${gateway.pid}-${label}.heapsnapshot`);
    await gateway.writeHeapSnapshot(path);
    heapSnapshots.push(path);
  };
  const sample = async (round: number): Promise<HeapSample> => {
    const { memory, internals } = await gateway.snapshot();
    return { round, heapUsed: memory.heapUsed, internals };
  };

  const samples = [await sample(0)];
  await writeSnapshot("before");
  const roundMs: number[] = [];
  const errors: string[] = [];
  for (let round = 1; round <= plan.rounds; round++) {
    const t = performance.now();
    try {
      await way.round();
      roundMs.push(performance.now() - t);
    } catch (error) {
      errors.push(`round ${round}: ${String(error)}`);
    }
    if (round % plan.every === 0 || round === plan.rounds) samples.push(await sample(round));
  }
  await writeSnapshot("after");
  return { rounds: plan.rounds, samples, slope: slope(samples), roundMs, errors, heapSnapshots };
}

/** Least-squares slope of heapUsed over round. */
function slope(samples: readonly HeapSample[]): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const mx = samples.reduce((s, p) => s + p.round, 0) / n;
  const my = samples.reduce((s, p) => s + p.heapUsed, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.round - mx) * (p.heapUsed - my);
    den += (p.round - mx) ** 2;
  }
  return num / den;
}
