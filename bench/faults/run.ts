/**
 * Fault soak of the local gateway on a real engine: each scenario plays one fault against a gateway
 * in a process of its own and ends with the same check (every stream it opened has ended, the next
 * call works, nothing of its sandboxes is left in the state or on the engine). Each prints PASS or
 * FAIL with its figures; the process exits 1 on any FAIL.
 *
 * - engine killed mid-create: a private engine process (a second dockerd, or a second podman API
 *   service) SIGKILLed at the first container create, then started again;
 * - gateway SIGKILLed with 16 ready sandboxes, restarted on the same state directory;
 * - a client with 200 watch streams SIGKILLed;
 * - the state directory's disk (a small tmpfs) full during creates.
 *
 *   npm run soak:faults                       (Docker; needs root for the tmpfs and the engine)
 *   BENCH_RUNTIME=podman npm run soak:faults
 *   SOAK_SCENARIOS=gateway,watchers npm run soak:faults   (engine, gateway, watchers, disk)
 *
 * It lives with the benchmarks (not in the test suite) because it kills engine processes, mounts a
 * filesystem and takes minutes; it shares their engine setup, labels and gateway process. Everything
 * carries the label openshell.ai/bench=faults and is removed by it at the start and the end.
 */
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { benchEngine, benchLabels, IMAGE, removeBenchObjects } from "../shared/engine.js";
import { describe, runGatewayChild } from "../shared/gateway-child.js";
import { loadAverage } from "../shared/machine.js";
import { diskFull } from "./disk-full.js";
import { engineKilledMidCreate } from "./engine-kill.js";
import { gatewayKilled } from "./gateway-kill.js";
import { stopPrivateEngines } from "./private-engine.js";
import type { ScenarioRun } from "./soak-check.js";
import { runWatchers, vanishingClient } from "./vanishing-client.js";

const LABELS = benchLabels("faults");
const ALL = ["engine", "gateway", "watchers", "disk"] as const;

async function main(): Promise<number> {
  const loadAtStart = loadAverage();
  const engine = benchEngine();
  const chosen = (process.env.SOAK_SCENARIOS ?? ALL.join(",")).split(",").map((s) => s.trim());
  const unknown = chosen.filter((s) => !(ALL as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new Error(`SOAK_SCENARIOS: unknown ${unknown.join(", ")} (of ${ALL.join(", ")})`);
  const runtime = await createRuntime({ runtime: engine.kind, endpoint: engine.endpoint });
  const runs: ScenarioRun[] = [];
  try {
    const info = await runtime.info();
    if (!(await runtime.hasImage(IMAGE)))
      throw new Error(`image ${IMAGE} is missing (bash scripts/engines.sh)`);
    await removeBenchObjects(runtime, LABELS);
    console.log(
      `openshell local gateway fault soak on ${engine.kind} ${info.version}, Node ${process.version}, ` +
        `load average ${loadAtStart} at the start\n`,
    );
    const scenarios: Record<(typeof ALL)[number], () => Promise<ScenarioRun>> = {
      engine: () => engineKilledMidCreate(engine.kind, LABELS),
      gateway: () => gatewayKilled(engine.kind, engine.socketPath, runtime, LABELS),
      watchers: () => vanishingClient(engine.kind, engine.socketPath, runtime, LABELS),
      disk: () => diskFull(engine.kind, engine.socketPath, runtime, LABELS),
    };
    for (const key of ALL) {
      if (!chosen.includes(key)) continue;
      const t = performance.now();
      const result = await scenarios[key]();
      runs.push(result);
      console.log(
        `${result.passed ? "PASS" : "FAIL"}  ${result.name} (${((performance.now() - t) / 1000).toFixed(1)} s)`,
      );
      for (const figure of result.figures) console.log(`      ${figure}`);
      for (const failure of result.failures) console.log(`  !!  ${failure}`);
      console.log("");
    }
  } finally {
    await removeBenchObjects(runtime, LABELS).catch(() => undefined);
    await runtime.close();
  }
  const failed = runs.filter((r) => !r.passed).length;
  console.log(
    `${runs.length - failed} passed, ${failed} failed on ${engine.kind}; load average ${loadAverage()} at the end`,
  );
  return failed === 0 ? 0 : 1;
}

if (process.argv[2] === "gateway") {
  void runGatewayChild();
} else if (process.argv[2] === "watchers") {
  runWatchers(process.argv.slice(3)).catch((error: unknown) => {
    console.error(`watching client: ${describe(error)}`);
    process.exit(1);
  });
} else {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void stopPrivateEngines().finally(() => process.exit(130));
    });
  }
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
