/** The A2A send benchmark's figures: a Markdown table as bench/README.md shows them, and a JSON file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { percentile } from "../shared/rounds.js";

/** The goal: what the forward adds to a send's median round trip. */
export const ADDED_P50_GOAL_MS = 2;

/** One way's latencies, in ms. */
export interface Latencies {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Connect, send once, close, per round: each phase's latencies and the round's. */
export interface PerCall {
  rounds: number;
  forward: Record<"connect" | "send" | "close" | "total", Latencies>;
  direct: Record<"connect" | "send" | "close" | "total", Latencies>;
}

/** One engine's results. */
export interface EngineResult {
  engine: string;
  engineVersion: string;
  containerAddress: string;
  protocolVersion: string;
  warmup: number;
  sends: number;
  block: number;
  forward: Latencies;
  direct: Latencies;
  /** forward p50 - direct p50. */
  addedP50Ms: number;
  ratioP50: number;
  /** This process's CPU time per send (client, and in local mode the gateway's end of the forward). */
  cpuMs: { forward: Latencies; direct: Latencies };
  /** Sends per second with `concurrency` in flight, median of the batches. */
  parallel: { concurrency: number; sendsPerBatch: number; forward: number; direct: number } | undefined;
  perCall: PerCall;
  samples: { forward: number[]; direct: number[] };
}

export function latencies(values: readonly number[]): Latencies {
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: Math.max(...values),
    mean: sum / values.length,
  };
}

const ms2 = (v: number) => v.toFixed(2);
const p50p90 = (l: Latencies) => `${ms2(l.p50)} / ${ms2(l.p90)}`;

export function printReport(header: string, results: readonly EngineResult[]): void {
  console.log(`\n${header}\n`);
  console.log("| engine | way | sends | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | mean (ms) |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    for (const [way, l] of [
      ["connectAgent (forward)", r.forward],
      ["SDK client, container address", r.direct],
    ] as const) {
      console.log(
        `| ${r.engine} ${r.engineVersion} | ${way} | ${r.sends} | ${ms2(l.p50)} | ${ms2(l.p90)} | ${ms2(l.p99)} | ${ms2(l.max)} | ${ms2(l.mean)} |`,
      );
    }
  }
  console.log(
    "\n| engine | added p50 (forward - direct) | ratio p50 | added p90 | added p99 | goal | verdict |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of results) {
    const verdict = r.addedP50Ms < ADDED_P50_GOAL_MS ? "PASS" : "MISS";
    console.log(
      `| ${r.engine} | ${ms2(r.addedP50Ms)} ms | ${r.ratioP50.toFixed(2)}x | ${ms2(r.forward.p90 - r.direct.p90)} ms | ` +
        `${ms2(r.forward.p99 - r.direct.p99)} ms | < ${ADDED_P50_GOAL_MS} ms | ${verdict} |`,
    );
  }
  console.log(
    "\n| engine | this process's CPU per send via forward, p50 (mean) | direct, p50 (mean) | added (means) |",
  );
  console.log("|---|---|---|---|");
  for (const r of results) {
    const { forward, direct } = r.cpuMs;
    console.log(
      `| ${r.engine} | ${ms2(forward.p50)} (${ms2(forward.mean)}) ms | ${ms2(direct.p50)} (${ms2(direct.mean)}) ms | ` +
        `${ms2(forward.mean - direct.mean)} ms |`,
    );
  }
  printPerCall(results);
  const parallel = results.filter((r) => r.parallel !== undefined);
  if (parallel.length > 0) {
    console.log("\n| engine | in flight | sends/s via forward (median) | sends/s direct (median) | ratio |");
    console.log("|---|---|---|---|---|");
    for (const r of parallel) {
      const p = r.parallel;
      if (p === undefined) continue;
      console.log(
        `| ${r.engine} | ${p.concurrency} | ${p.forward.toFixed(0)} | ${p.direct.toFixed(0)} | ${(p.forward / p.direct).toFixed(2)}x |`,
      );
    }
  }
}

function printPerCall(results: readonly EngineResult[]): void {
  console.log(
    "\n| engine | a new connection per send | rounds | connect p50 / p90 (ms) | send p50 / p90 (ms) | close p50 / p90 (ms) | round p50 / p90 (ms) |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of results) {
    const { rounds, forward, direct } = r.perCall;
    for (const [way, p] of [
      ["connectAgent, send, close", forward],
      ["new SDK client (card), send", direct],
    ] as const) {
      console.log(
        `| ${r.engine} | ${way} | ${rounds} | ${p50p90(p.connect)} | ${p50p90(p.send)} | ${p50p90(p.close)} | ${p50p90(p.total)} |`,
      );
    }
  }
}

/** Writes the results, with every sample, as JSON to `path` (times in ms, to the µs). */
export function writeJson(path: string, header: string, results: readonly EngineResult[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const body = {
    benchmark: "a2a-send",
    header,
    date: new Date().toISOString(),
    node: process.version,
    goal: { addedP50Ms: ADDED_P50_GOAL_MS },
    results,
  };
  const micro = (_key: string, value: unknown) =>
    typeof value === "number" ? Math.round(value * 1000) / 1000 : value;
  writeFileSync(path, `${JSON.stringify(body, micro, 2)}\n`);
}
