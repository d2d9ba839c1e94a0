/** The samples a part of the files benchmark collects: per measure, per way, one Transfer a round. */
import type { Transfer } from "./measure.js";

export type Samples = Map<string, Map<string, Transfer[]>>;

export function record(samples: Samples, measure: string, way: string, t: Transfer): void {
  const ways = samples.get(measure) ?? new Map<string, Transfer[]>();
  samples.set(measure, ways);
  ways.set(way, [...(ways.get(way) ?? []), t]);
}

/**
 * Runs each [measure, way, run] once, the first changing from round to round so that none always
 * meets a cold or warm cache first.
 */
export async function alternate(
  samples: Samples,
  round: number,
  runs: [measure: string, way: string, run: () => Promise<Transfer>][],
): Promise<void> {
  const k = round % runs.length;
  for (const [measure, way, run] of [...runs.slice(k), ...runs.slice(0, k)])
    record(samples, measure, way, await run());
}
