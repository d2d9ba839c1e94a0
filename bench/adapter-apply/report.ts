/** The apply-to-Ready benchmark's figures: Markdown tables as bench/README.md shows them, and a JSON file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { median, percentile } from "../shared/rounds.js";
import { ADAPTER_COMMAND, ADAPTER_IMAGE_CMD, BARE, type Phase, TIMED_PHASES } from "./ways.js";

/** The issue's goal: apply -> Ready within this multiple of the bare SDK's create -> answering. */
export const RATIO_GOAL = 1.1;

/** One way's rounds on one engine. */
export interface WayResult {
  way: string;
  rounds: Record<Phase, number>[];
}

/** One engine's results. */
export interface EngineResult {
  engine: string;
  engineVersion: string;
  ways: WayResult[];
}

const sec = (v: number) => (v / 1000).toFixed(2);
const msInt = (v: number) => (Number.isNaN(v) ? "-" : v.toFixed(0));
const totals = (w: WayResult | undefined) => (w?.rounds ?? []).map((r) => r.total);

function way(result: EngineResult, name: string): WayResult | undefined {
  return result.ways.find((w) => w.way === name);
}

/**
 * `a` over `b` at the median and at p90 of their totals, and the median of the per-round ratios
 * (round i of `a` over round i of `b`, run back to back: the figure least moved by drift).
 */
export function ratios(
  result: EngineResult,
  a: string,
  b: string,
): { p50: number; p90: number; pairedMedian: number } {
  const ta = totals(way(result, a));
  const tb = totals(way(result, b));
  return {
    p50: median(ta) / median(tb),
    p90: percentile(ta, 90) / percentile(tb, 90),
    pairedMedian: median(ta.map((t, i) => t / (tb[i] ?? Number.NaN))),
  };
}

export function printReport(header: string, results: readonly EngineResult[]): void {
  console.log(`\n${header}\n`);
  console.log(
    "| engine | way | rounds | median (s) | p90 (s) | min (s) | max (s) | prepare | create | sandbox READY | agent answers | remove (untimed) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    for (const w of r.ways) {
      const t = totals(w);
      const phase = (p: Phase) => msInt(median(w.rounds.map((x) => x[p])));
      console.log(
        `| ${r.engine} ${r.engineVersion} | ${w.way} | ${t.length} | ${sec(median(t))} | ${sec(percentile(t, 90))} | ` +
          `${sec(Math.min(...t))} | ${sec(Math.max(...t))} | ${TIMED_PHASES.map((p) => `${phase(p)} ms`).join(" | ")} | ${phase("remove")} ms |`,
      );
    }
  }
  console.log(
    "\n| engine | adapter way | ratio to bare SDK, median | ratio at p90 | median of per-round ratios | goal | verdict |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of results) {
    for (const name of [ADAPTER_IMAGE_CMD, ADAPTER_COMMAND]) {
      if (way(r, name) === undefined) continue;
      const q = ratios(r, name, BARE);
      const verdict = q.p50 <= RATIO_GOAL ? "PASS" : "MISS";
      console.log(
        `| ${r.engine} | ${name} | ${q.p50.toFixed(2)}x | ${q.p90.toFixed(2)}x | ${q.pairedMedian.toFixed(2)}x | ` +
          `<= ${RATIO_GOAL.toFixed(2)}x | ${verdict} |`,
      );
    }
  }
}

/** Writes the results, with every round's phases, as JSON to `path`. */
export function writeJson(path: string, header: string, results: readonly EngineResult[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const round = (v: number) => Math.round(v * 10) / 10;
  const body = {
    benchmark: "adapter-apply",
    header,
    date: new Date().toISOString(),
    node: process.version,
    goal: { ratio: RATIO_GOAL },
    results: results.map((r) => ({
      engine: r.engine,
      engineVersion: r.engineVersion,
      ratios: Object.fromEntries(
        [ADAPTER_IMAGE_CMD, ADAPTER_COMMAND]
          .filter((name) => way(r, name) !== undefined)
          .map((name) => [name, ratios(r, name, BARE)]),
      ),
      ways: r.ways.map((w) => ({
        way: w.way,
        medianMs: round(median(totals(w))),
        p90Ms: round(percentile(totals(w), 90)),
        rounds: w.rounds.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, round(v)]))),
      })),
    })),
  };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
}
