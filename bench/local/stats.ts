/** Small helpers for samples and scheduling, shared by the run and the memory probe. */

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
