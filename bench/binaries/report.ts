/** The tables bench:binaries prints, from what run.ts measured. */
import { median, percentile } from "../shared/rounds.js";
import type { Transfer } from "./curl-timings.js";

/** The way with the binaries rule, and the one without (the baseline). */
export const CHECKED = "with binaries";
export const OPEN = "without";
export type WayName = typeof CHECKED | typeof OPEN;
export const WAYS: readonly WayName[] = [CHECKED, OPEN];

/** A new-connection part: transfers per way, and the gateway's lookup times during its batches. */
export interface FreshPart {
  title: string;
  transfers: Map<WayName, Transfer[]>;
  checks: number[];
  finds: number[];
}

const ms3 = (v: number) => v.toFixed(3);
const spread = (v: readonly number[]) => `${ms3(median(v))} / ${ms3(percentile(v, 95))}`;

/** Time to first byte per way, the added p50, and what the gateway's lookups took meanwhile. */
export function printFresh(part: FreshPart, tableEntries: number): void {
  const of = (way: WayName) => part.transfers.get(way) ?? [];
  const ttfb = (way: WayName) => of(way).map((t) => t.ttfb);
  console.log(`\n${part.title}, ${of(CHECKED).length} per way; ms, curl's -w\n`);
  console.log("| way | connect to proxy p50 | first byte p50 / p95 | added first byte p50 |");
  console.log("|---|---|---|---|");
  for (const way of WAYS) {
    console.log(
      `| ${way} | ${ms3(median(of(way).map((t) => t.connect)))} | ${spread(ttfb(way))} | ` +
        `${ms3(median(ttfb(way)) - median(ttfb(OPEN)))} |`,
    );
  }
  console.log(
    `\nthe gateway's lookups: ${part.checks.length} for ${of(CHECKED).length} connections with binaries; ` +
      `verdict p50 / p95 ${spread(part.checks)} ms (max ${ms3(Math.max(...part.checks))}), ` +
      `of which finding the socket's owners ${spread(part.finds)} ms; the sandbox's TCP table held ` +
      `${tableEntries} entries when the new-connection parts began`,
  );
}

/** One read of a TCP table timed apart: the floor of a lookup. */
export function printTableReads(reads: readonly number[], ehash: string): void {
  console.log(
    `\none read of a TCP table (this host's /proc/net/tcp, timed apart, ${reads.length} reads): ` +
      `p50 / p95 ${spread(reads)} ms; net.ipv4.tcp_child_ehash_entries = ${ehash}`,
  );
}

/** Requests over one kept-alive connection per round: the first (the lookup) apart from the rest. */
export function printKept(
  kept: Map<WayName, Transfer[][]>,
  checks: readonly number[],
  finds: readonly number[],
  tableEntries: number,
): void {
  const rounds = kept.get(CHECKED) ?? [];
  const perConnection = rounds[0]?.length ?? 0;
  console.log(
    `\nOne kept-alive connection: ${perConnection} requests by one curl, ${rounds.length} connections per way; ms\n`,
  );
  console.log(
    "| way | first request first byte p50 | later requests first byte p50 / p95 | added later p50 |",
  );
  console.log("|---|---|---|---|");
  const later = (way: WayName) => (kept.get(way) ?? []).flatMap((c) => c.slice(1).map((t) => t.ttfb));
  for (const way of WAYS) {
    const first = (kept.get(way) ?? []).map((c) => (c[0] as Transfer).ttfb);
    console.log(
      `| ${way} | ${ms3(median(first))} | ${spread(later(way))} | ` +
        `${ms3(median(later(way)) - median(later(OPEN)))} |`,
    );
  }
  console.log(
    `\nthe gateway's lookups: ${checks.length} for ${rounds.length} kept-alive connections with binaries ` +
      `(${rounds.length * perConnection} requests); verdict p50 / p95 ${spread(checks)} ms, ` +
      `of which finding the socket's owners ${spread(finds)} ms; the sandbox's TCP table held ` +
      `${tableEntries} entries (its earlier connections in TIME_WAIT) when this part began`,
  );
}
