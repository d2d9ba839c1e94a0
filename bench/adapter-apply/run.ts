/**
 * What the agent-registry adapter adds to getting an agent running: `adapter.apply` of the echo
 * agent's Deployment, then `adapter.watch` until `Ready=True`, beside the bare SDK doing the same by
 * hand (`sandboxes.create` with the same image and command, `ready()`, then GET the agent card
 * through a forward every 100 ms until it answers 200), on one `OpenShell.local()` gateway per
 * engine. The adapter runs twice per round: with the command read from the image's CMD (what a
 * registry user gets: the headline) and with `runtimeConfig.command` (no image inspect). The three
 * ways rotate their order every round, so drift and machine noise land on all alike.
 *
 *   npm run bench:adapter-apply     (BENCH_QUICK=1: 4 rounds, Docker only;
 *                                    BENCH_ENGINES=docker,podman; BENCH_ROUNDS, BENCH_WARMUP;
 *                                    BENCH_JSON=path, default .tmp/bench/adapter-apply/results.json)
 *
 * Goal (issue 13): apply -> Ready within 1.10x of the bare SDK's create -> answering.
 * Its gateways are ephemeral: whatever a round leaves is removed at the end, on failure and on Ctrl-C.
 */
import { version } from "node:process";
import { OpenShell } from "openshell";
import { OpenShellDeploymentAdapter } from "openshell/adapters/agent-registry";
import { echoAgentCommand } from "../../test/support/a2a-agent/image.js";
import { loadAverage } from "../shared/machine.js";
import { runSchedule } from "../shared/rounds.js";
import { runBench } from "../shared/run-bench.js";
import { type EngineResult, printReport, writeJson } from "./report.js";
import {
  ADAPTER_COMMAND,
  ADAPTER_IMAGE_CMD,
  adapterWay,
  bareWay,
  type Live,
  PORT,
  removeLive,
} from "./ways.js";

const quick = process.env.BENCH_QUICK === "1";
const WARMUP = Number(process.env.BENCH_WARMUP ?? (quick ? 1 : 2));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 4 : 15));
const ENGINES = (process.env.BENCH_ENGINES ?? (quick ? "docker" : "docker,podman")).split(",");
const JSON_PATH = process.env.BENCH_JSON ?? ".tmp/bench/adapter-apply/results.json";

const endpoints = {
  docker: process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock",
  podman: process.env.OPENSHELL_TEST_PODMAN_HOST ?? "unix:///run/podman/podman.sock",
};

/** What the run has open: removed at the end, on failure and on Ctrl-C. */
const live: Live = { deployments: new Set(), sandboxes: new Set() };
let adapter: OpenShellDeploymentAdapter | undefined;
let os: OpenShell | undefined;

async function benchOn(kind: "docker" | "podman"): Promise<EngineResult> {
  const socketPath = endpoints[kind].replace(/^unix:\/\//, "");
  os = await OpenShell.local({
    runtime: kind,
    runtimeOptions: { endpoint: { kind: "unix", socketPath } },
    ephemeral: true,
  });
  adapter = new OpenShellDeploymentAdapter({ client: os, env: {} });
  const engineVersion = (await os.localGateway?.runtime.info())?.version ?? "?";
  const ways = [
    adapterWay(ADAPTER_IMAGE_CMD, adapter, live, { port: PORT }),
    adapterWay(ADAPTER_COMMAND, adapter, live, { port: PORT, command: echoAgentCommand(PORT) }),
    bareWay(os, live),
  ];
  const started = performance.now();
  const samples = await runSchedule(ways, {
    warmupRounds: WARMUP,
    seqRounds: ROUNDS,
    seqBatch: 1,
    parBatches: 0,
    parRounds: 0,
    parInFlight: 1,
  });
  console.error(`  ${kind}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return {
    engine: kind,
    engineVersion,
    ways: ways.map((w) => ({ way: w.name, rounds: samples.sequential.get(w.name) ?? [] })),
  };
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const results: EngineResult[] = [];
  for (const kind of ENGINES) {
    if (kind !== "docker" && kind !== "podman") throw new Error(`BENCH_ENGINES: unknown engine ${kind}`);
    results.push(await benchOn(kind));
    await cleanup();
  }
  const header =
    `apply -> Ready (OpenShellDeploymentAdapter on OpenShell.local(), the echo agent image) vs the bare SDK's ` +
    `sandboxes.create + ready() + agent card GET every 100 ms through a forward until 200 ` +
    `(Node ${version}; ${WARMUP} warm-up rounds, then ${ROUNDS} rounds per way, the ways' order rotating each round; ` +
    `load average before ${loadBefore}, after ${loadAverage()})`;
  printReport(header, results);
  writeJson(JSON_PATH, header, results);
  console.log(`\nJSON: ${JSON_PATH}`);
}

let cleaning: Promise<void> | undefined;
/** Removes what a stopped round left, closes the adapter and the (ephemeral) gateway. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await removeLive(adapter, live);
    await adapter?.close().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
    await os?.close().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
    adapter = undefined;
    os = undefined;
  })().finally(() => {
    cleaning = undefined;
  });
  return cleaning;
}

runBench(main, cleanup);
