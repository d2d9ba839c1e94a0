/** The load benchmark's tables, in Markdown as bench/README.md shows them. */
import type { ChildSnapshot } from "../shared/gateway-child.js";
import { socketCount } from "../shared/memory-snapshot.js";
import { median, mib, ms, percentile } from "../shared/rounds.js";
import type { HeapRounds } from "./heap-rounds.js";
import type { IdleCost } from "./idle.js";
import { errorCount, type ScenarioResult } from "./scenarios.js";

export interface Scenario {
  name: string;
  /** What one operation is, for the throughput: calls, execs, ... */
  unit: string;
  result: ScenarioResult;
  /** The gateway's sampled RSS peak while the scenario ran. */
  peakRss: number;
  /** The machine's 1-minute load average as the scenario ended. */
  loadAverage: number;
}

export interface LoadPass {
  pass: number;
  scenarios: Scenario[];
  /** With the pass's sandboxes ready. */
  loaded: ChildSnapshot;
  /** After the pass, every sandbox deleted. */
  after: ChildSnapshot;
}

export interface LoadReport {
  header: string;
  load: string;
  /** Warmed up, no sandbox: the baseline. */
  before: ChildSnapshot;
  passes: LoadPass[];
  /** After the sequential rounds. */
  end: ChildSnapshot;
  rounds: HeapRounds;
  left: { containers: number; networks: number };
  idle: IdleCost;
}

const kib = (bytes: number) => `${bytes < 0 ? "" : "+"}${(bytes / 1024).toFixed(1)} KiB`;
const delta = (bytes: number) => `${bytes < 0 ? "" : "+"}${mib(bytes)} MiB`;
const orDash = (n: number | undefined) => (n === undefined ? "-" : String(n));

export function printReport(r: LoadReport): void {
  console.log(`\n${r.header}\n`);
  console.log(`${r.load}\n`);
  if (!r.before.gcExposed) {
    console.log("(the gateway process ran without --expose-gc: heap figures are without a forced GC)\n");
  }

  console.log(
    "| pass | scenario | operations | errors | p50 (ms) | p99 (ms) | max (ms) | throughput | gateway RSS peak (MiB) | load (1 min) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const { pass, scenarios } of r.passes) {
    for (const { name, unit, result, peakRss, loadAverage } of scenarios) {
      const l = result.latencies;
      const seconds = result.wallMs / 1000;
      const rate = `${(l.length / seconds).toFixed(1)} ${unit}/s`;
      const throughput =
        result.bytes > 0
          ? `${rate}, ${(result.bytes / 1024 / 1024 / seconds).toFixed(1)} MiB/s each way`
          : rate;
      console.log(
        `| ${pass} | ${name} | ${result.operations} | ${errorCount(result)} | ${ms(median(l))} | ` +
          `${ms(percentile(l, 99))} | ${ms(Math.max(...l, 0))} | ${throughput} | ${mib(peakRss)} | ` +
          `${loadAverage.toFixed(1)} |`,
      );
    }
  }
  for (const { pass, scenarios } of r.passes) {
    for (const { name, result } of scenarios) {
      for (const [kind, l] of result.byKind) {
        console.log(
          `  pass ${pass}, ${name}, ${kind}: ${l.length} calls, p50 ${ms(median(l))} ms, p99 ${ms(percentile(l, 99))} ms`,
        );
      }
      for (const [error, n] of result.errors) console.log(`  pass ${pass}, ${name}: ${n} x ${error}`);
    }
  }

  const { before, end } = r;
  const peaks = r.passes.flatMap((p) => p.scenarios.map((s) => s.peakRss));
  const peakOverall = Math.max(...peaks, 0);
  console.log("\nGateway process memory (after a full GC) and what holds on to it\n");
  console.log(
    "| state | heap used (MiB) | external (MiB) | RSS (MiB) | sockets | shutdown listeners | sandbox watchers | live sandboxes |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  const rows: [string, ChildSnapshot][] = [["warmed up, no sandbox (baseline)", before]];
  for (const p of r.passes) {
    rows.push([`pass ${p.pass}: sandboxes ready`, p.loaded], [`pass ${p.pass}: over, all deleted`, p.after]);
  }
  rows.push([`after ${r.rounds.rounds} more rounds`, end]);
  for (const [label, s] of rows) {
    console.log(
      `| ${label} | ${mib(s.memory.heapUsed)} | ${mib(s.memory.external)} | ${mib(s.memory.rss)} | ` +
        `${socketCount(s.memory.resources)} | ` +
        `${orDash(s.internals.shutdownListeners)} | ${orDash(s.internals.sandboxWatchers)} | ` +
        `${orDash(s.internals.liveSandboxes)} |`,
    );
  }
  const first = r.passes[0]?.after ?? before;
  const last = r.passes[r.passes.length - 1]?.after ?? before;
  const back = first.memory.heapUsed - before.memory.heapUsed;
  console.log(
    `\nheap after the load vs before: ${delta(back)} (${kib(back)}; goal: within 1 MiB) — ` +
      `${Math.abs(back) <= 1024 * 1024 ? "met" : "NOT met"}`,
  );
  if (r.passes.length > 1) {
    const again = last.memory.heapUsed - first.memory.heapUsed;
    console.log(`heap after the last pass vs after the first: ${delta(again)} (${kib(again)})`);
  }
  console.log(
    `gateway RSS peak under load: ${mib(peakOverall)} MiB (process lifetime maxRSS ${mib(end.memory.peakRss)} MiB; ` +
      `goal < 150 MiB) — ${end.memory.peakRss < 150 * 1024 * 1024 ? "met" : "NOT met"}`,
  );

  const rr = r.rounds;
  console.log(
    `\nSequential rounds: ${rr.rounds} after warm-up, round p50 ${ms(median(rr.roundMs))} ms, ` +
      `${rr.errors.length} error(s); heap growth ${kib(rr.slope)} per round (least squares over ` +
      `${rr.samples.length} readings)`,
  );
  console.log(
    `heap by round: ${rr.samples.map((s) => `${s.round}: ${mib(s.heapUsed)}`).join(", ")} MiB; ` +
      `shutdown listeners ${rr.samples.map((s) => orDash(s.internals.shutdownListeners)).join(", ")}`,
  );
  for (const error of rr.errors.slice(0, 5)) console.log(`  ${error}`);
  for (const path of rr.heapSnapshots) console.log(`  heap snapshot: ${path}`);

  const warnings = end.warnings;
  console.log(
    `\nProcess warnings in the gateway process: ${warnings.length === 0 ? "none" : warnings.length}` +
      `${warnings.some((w) => w.name === "MaxListenersExceededWarning") ? " (MaxListenersExceededWarning among them)" : ""}`,
  );
  for (const w of warnings) console.log(`  ${w.name}${w.code ? ` [${w.code}]` : ""}: ${w.message}`);

  console.log(
    `\nLeft on the engine by the closed gateway: ${r.left.containers} container(s), ${r.left.networks} network(s)`,
  );

  const idle = r.idle;
  const kinds = [...idle.requests].map(([key, n]) => `${key} ${n.toFixed(1)}/s`).join(", ");
  console.log(
    `\nIdle: with ${idle.sandboxes} ready sandboxes left alone for ${idle.windowMs / 1000} s the gateway made ` +
      `${idle.perSecond.toFixed(1)} engine requests/s${kinds ? ` (${kinds})` : ""}; a sandbox whose main ` +
      `process was killed was seen ${idle.exitPhase ?? "-"} after ` +
      `${idle.exitNoticedMs === undefined ? "(not seen within 30 s)" : `${ms(idle.exitNoticedMs)} ms`}`,
  );
}
