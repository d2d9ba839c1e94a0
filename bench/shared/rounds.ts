/**
 * What the side-by-side benchmarks share: ways timed phase by phase, the schedule that alternates
 * them so machine noise falls on all alike, and the small statistics their tables print.
 */

/** One way of doing a round; resolves with each phase's wall time in ms. */
export interface Way<P extends string> {
  readonly name: string;
  round(): Promise<Record<P, number>>;
}

/** Times each phase in turn; `phase` returns what the next phase needs. */
export class PhaseClock<P extends string> {
  private last = performance.now();
  readonly times: Record<P, number>;

  constructor(phases: readonly P[]) {
    this.times = Object.fromEntries(phases.map((p) => [p, 0])) as Record<P, number>;
  }

  async phase<T>(name: P, run: () => Promise<T>): Promise<T> {
    const value = await run();
    const now = performance.now();
    this.times[name] = now - this.last;
    this.last = now;
    return value;
  }
}

export interface Schedule {
  warmupRounds: number;
  /** Sequential rounds per way, run `seqBatch` at a time per way in rotating order. */
  seqRounds: number;
  seqBatch: number;
  /** Parallel batches per way: `parRounds` rounds with `parInFlight` at once, timed as a whole. */
  parBatches: number;
  parRounds: number;
  parInFlight: number;
  /** Called between the warm-up and the measured rounds (to reset counters, say). */
  afterWarmup?: () => void;
}

export interface ScheduleSamples<P extends string> {
  /** Per way: one entry per sequential round, with its phases. */
  sequential: Map<string, Record<P, number>[]>;
  /** Per way: the wall time of each parallel batch. */
  parallel: Map<string, number[]>;
}

/** Warms every way up, then runs the sequential and the parallel part, rotating the ways' order. */
export async function runSchedule<P extends string>(
  ways: readonly Way<P>[],
  schedule: Schedule,
): Promise<ScheduleSamples<P>> {
  const names = ways.map((w) => w.name);
  for (const way of ways) for (let i = 0; i < schedule.warmupRounds; i++) await way.round();
  schedule.afterWarmup?.();

  const sequential = new Map<string, Record<P, number>[]>(names.map((n) => [n, []]));
  for (let batch = 0; batch * schedule.seqBatch < schedule.seqRounds; batch++) {
    for (const way of rotate(ways, batch)) {
      for (let i = 0; i < schedule.seqBatch; i++) sequential.get(way.name)?.push(await way.round());
    }
  }

  const parallel = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let batch = 0; batch < schedule.parBatches; batch++) {
    for (const way of rotate(ways, batch)) {
      const t = performance.now();
      await inFlight(schedule.parRounds, schedule.parInFlight, () => way.round());
      parallel.get(way.name)?.push(performance.now() - t);
    }
  }
  return { sequential, parallel };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => percentile(values, 50);
export const ms = (v: number): string => v.toFixed(1);
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

/** The items in a different order each batch, so none always goes first. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * Runs `total` calls, `concurrency` at a time; after a failure starts no more, and lets those in
 * flight finish (so cleanup sees every container) before throwing.
 */
export async function inFlight(
  total: number,
  concurrency: number,
  fn: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const results = await Promise.allSettled(
    Array.from({ length: concurrency }, async () => {
      while (!failed && next < total) {
        const index = next++;
        try {
          await fn(index);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
  const failure = results.find((r) => r.status === "rejected");
  if (failure !== undefined) throw failure.reason;
}
