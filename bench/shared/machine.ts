/** What a benchmark says about the machine it ran on: figures on a shared machine need their load. */
import { loadavg } from "node:os";

/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
export const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
