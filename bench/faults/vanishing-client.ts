/**
 * A client opens 200 WatchSandbox streams over mTLS and vanishes: it is a child process of its own
 * (this bundle with `watchers` as its first argument), SIGKILLed once every stream has answered.
 * The gateway must let go of all of it: its sockets, the listeners on its shutdown signal, the
 * watchers on its sandboxes and the heap they held go back to where they were before the client came.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { OpenShell, type Sandbox } from "../../src/index.js";
import type { ContainerRuntime } from "../../src/runtime/container-runtime.js";
import { IMAGE } from "../shared/engine.js";
import { type ChildSnapshot, describe } from "../shared/gateway-child.js";
import { startGatewayProcess } from "../shared/gateway-process.js";
import { socketCount } from "../shared/memory-snapshot.js";
import { nextName } from "../shared/sandbox-round.js";
import { deleteAll, expectEngineClean, expectNothingLeft, nextCallWorks, ScenarioRun } from "./soak-check.js";

const STREAMS = 200;
const SANDBOXES = 2;
/** How long the gateway may take to let go of the vanished client. */
const BASELINE_BOUND_MS = 30_000;
const HEAP_SLACK = 1024 * 1024;

interface Counts {
  sockets: number;
  listeners: number | undefined;
  watchers: number | undefined;
  heap: number;
}

const countsOf = (s: ChildSnapshot): Counts => ({
  sockets: socketCount(s.memory.resources),
  listeners: s.internals.shutdownListeners,
  watchers: s.internals.sandboxWatchers,
  heap: s.memory.heapUsed,
});

const show = (c: Counts) =>
  `${c.sockets} sockets, ${c.listeners ?? "-"} shutdown listeners, ${c.watchers ?? "-"} watchers, ` +
  `heap ${(c.heap / 1024 / 1024).toFixed(2)} MiB`;

export async function vanishingClient(
  kind: "docker" | "podman",
  socketPath: string,
  runtime: ContainerRuntime,
  labels: Record<string, string>,
): Promise<ScenarioRun> {
  const run = new ScenarioRun(`a client with ${STREAMS} watch streams vanishes`);
  const gateway = await startGatewayProcess({ runtime: kind, socketPath, ephemeral: true });
  const os = await gateway.connect();
  const sandboxes: Sandbox[] = [];
  try {
    for (let i = 0; i < SANDBOXES; i++) {
      const sb = await os.sandboxes.create({
        name: nextName("watched"),
        image: IMAGE,
        containerLabels: labels,
      });
      sandboxes.push(sb);
      await sb.ready({ timeoutMs: 60_000 });
    }
    // Warm the watch path (and a second client's connection) so the baseline includes its code.
    await watchersFor(gateway.configHome, gateway.name, sandboxes, 10, "SIGTERM");
    const baseline = countsOf(await gateway.snapshot());
    run.figure(`baseline: ${show(baseline)}`);

    const child = await watchersFor(gateway.configHome, gateway.name, sandboxes, STREAMS, undefined);
    const open = countsOf(await gateway.snapshot());
    run.figure(`with the client's ${STREAMS} streams open: ${show(open)}`);
    run.check(
      open.watchers === undefined || open.watchers - (baseline.watchers ?? 0) === STREAMS,
      `the gateway should count ${STREAMS} more watchers, counts ${open.watchers}`,
    );
    const killedAt = performance.now();
    child.kill("SIGKILL");
    await once(child, "exit");

    let now = open;
    const settled = () =>
      now.sockets <= baseline.sockets &&
      now.listeners === baseline.listeners &&
      now.watchers === baseline.watchers;
    while (!settled() && performance.now() - killedAt < BASELINE_BOUND_MS) {
      await sleep(100);
      now = countsOf(await gateway.snapshot());
    }
    const tookMs = performance.now() - killedAt;
    run.figure(`${tookMs.toFixed(0)} ms after the SIGKILL: ${show(now)}`);
    run.check(
      settled(),
      `sockets, listeners and watchers not back to baseline ${BASELINE_BOUND_MS} ms after the kill`,
    );
    const heapDelta = now.heap - baseline.heap;
    run.figure(`heap vs baseline: ${heapDelta >= 0 ? "+" : ""}${(heapDelta / 1024).toFixed(1)} KiB`);
    run.check(
      heapDelta <= HEAP_SLACK,
      `the heap stayed ${(heapDelta / 1024).toFixed(0)} KiB above the baseline`,
    );
    const warnings = (await gateway.snapshot()).warnings;
    run.check(warnings.length === 0, `the gateway warned: ${warnings.map((w) => w.message).join("; ")}`);

    await nextCallWorks(run, os, labels);
    await deleteAll(run, sandboxes);
    await expectNothingLeft(run, os, runtime, gateway.gatewayId);
  } catch (error) {
    run.fail(`the scenario broke off: ${describe(error)}`);
  } finally {
    await os.close();
    await gateway.close().catch((error: unknown) => run.fail(describe(error)));
    await expectEngineClean(run, runtime, gateway.gatewayId);
  }
  return run;
}

/**
 * Starts the client process and resolves once all its streams have answered; with `end`, sends that
 * signal then and waits for it to exit (the warm-up), else returns it running.
 */
async function watchersFor(
  configHome: string,
  name: string,
  sandboxes: readonly Sandbox[],
  streams: number,
  end: NodeJS.Signals | undefined,
) {
  const entry = process.argv[1] as string;
  const child = fork(
    entry,
    ["watchers", configHome, name, String(streams), ...sandboxes.map((s) => s.name)],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const [message] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => {
      throw new Error(`the watching client exited (${String(code)}) before its streams were open`);
    }),
  ])) as [string];
  if (message !== "opened") throw new Error(`the watching client said ${message}`);
  if (end !== undefined) {
    child.kill(end);
    await once(child, "exit");
  }
  return child;
}

/** The client process: opens the streams, reads each one's first answer, says so, and waits. */
export async function runWatchers(args: readonly string[]): Promise<void> {
  const [configHome, name, count, ...names] = args as [string, string, string, ...string[]];
  const os = await OpenShell.connect({
    gateway: name,
    env: { XDG_CONFIG_HOME: configHome },
    homeDir: configHome,
  });
  const firstAnswers = Array.from({ length: Number(count) }, async (_, i) => {
    const stream = os.sandboxes.handle(names[i % names.length] as string).watch();
    await stream.next();
    // Kept, unread, until the process dies: a client that vanishes mid-stream.
    return stream;
  });
  await Promise.all(firstAnswers);
  process.send?.("opened");
  setInterval(() => undefined, 1 << 30);
}
