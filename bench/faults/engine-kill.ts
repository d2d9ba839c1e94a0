/**
 * The engine is killed (SIGKILL) in the middle of creates and started again. The gateway runs in a
 * process of its own on the soak's private engine (see private-engine.ts); a client has a ready
 * sandbox with an exec and a watch stream open on it, then creates sandboxes at once, and the engine
 * dies the moment it reports the first of their containers created. Every stream must end, each
 * failure must be an SDK error saying what happened, and once the engine is back the gateway works,
 * its half-made containers are removed, and deleting the scenario's sandboxes leaves nothing behind.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Sandbox } from "../../src/index.js";
import { GATEWAY_LABEL } from "../../src/local/gateway-identity.js";
import { IMAGE } from "../shared/engine.js";
import { describe } from "../shared/gateway-child.js";
import { startGatewayProcess } from "../shared/gateway-process.js";
import { nextName } from "../shared/sandbox-round.js";
import { privateEngine, privateRuntime } from "./private-engine.js";
import {
  checkUserError,
  deleteAll,
  expectEngineClean,
  expectNothingLeft,
  nextCallWorks,
  ScenarioRun,
  StreamTracker,
} from "./soak-check.js";

const CREATES = 4;
/** How long after the kill every stream must have ended. */
const STREAM_BOUND_MS = 30_000;
/** How long after its sandbox's deletion a watch must have ended. */
const WATCH_BOUND_MS = 15_000;

export async function engineKilledMidCreate(
  kind: "docker" | "podman",
  labels: Record<string, string>,
): Promise<ScenarioRun> {
  const run = new ScenarioRun("engine killed mid-create");
  const engine = privateEngine(kind);
  run.figure(
    `private ${kind} engine answered in ${(await engine.start()).toFixed(0)} ms (pid ${engine.pid()})`,
  );
  const runtime = await privateRuntime(engine);
  const gateway = await startGatewayProcess({
    runtime: kind,
    socketPath: engine.socketPath,
    ephemeral: true,
  });
  const os = await gateway.connect();
  const sandboxes: Sandbox[] = [];
  try {
    const steady = await os.sandboxes.create({
      name: nextName("steady"),
      image: IMAGE,
      containerLabels: labels,
    });
    sandboxes.push(steady);
    await steady.ready({ timeoutMs: 60_000 });

    const streams = new StreamTracker();
    streams.trackIterable("exec sleep 600", steady.execStream(["sleep", "600"]));
    // A watch is the gateway's, which lives on: it must end when its sandbox is deleted.
    const watches = new StreamTracker();
    watches.trackIterable("watch of a ready sandbox", steady.watch());

    // The kill, at the first container of this gateway the engine reports created.
    const watching = new AbortController();
    const killed = (async () => {
      for await (const event of runtime.watchContainers({
        labels: { [GATEWAY_LABEL]: gateway.gatewayId },
        signal: watching.signal,
      })) {
        if (event.action === "create" && event.id !== "") {
          const at = performance.now();
          await engine.kill("SIGKILL");
          return at;
        }
      }
      return undefined;
    })().catch(() => undefined);

    const outcomes = new Map<string, string>();
    await Promise.all(
      Array.from({ length: CREATES }, async () => {
        const name = nextName("midcreate");
        try {
          const sb = await os.sandboxes.create({ name, image: IMAGE, containerLabels: labels });
          sandboxes.push(sb);
          streams.track(`ready() of ${name}`, sb.ready({ timeoutMs: 120_000 }));
        } catch (error) {
          // The create call itself may meet the dead engine: that must be an SDK error too.
          checkUserError(run, `create ${name}`, error);
          outcomes.set(name, describe(error));
        }
      }),
    );
    const killedAt = await Promise.race([killed, sleep(30_000).then(() => undefined)]);
    watching.abort();
    if (!run.check(killedAt !== undefined, "no container create was seen within 30 s: nothing was killed")) {
      return run;
    }
    run.figure(`engine killed (SIGKILL) at its first container create, ${run.elapsed()} into the scenario`);
    await streams.expectAllEnded(run, STREAM_BOUND_MS, killedAt as number);

    const restartMs = await engine.start();
    run.figure(`engine started again, answering after ${restartMs.toFixed(0)} ms`);
    await nextCallWorks(run, os, labels);

    // What the user sees of the sandboxes caught in it, then their deletion.
    for (const sb of sandboxes) {
      try {
        const info = await sb.refresh();
        run.figure(`${sb.name} after the restart: ${info.phase}${info.reason ? ` (${info.reason})` : ""}`);
        if (info.phase === "provisioning") {
          // How far its provisioning got: the gateway's own log lines for it.
          const lines = await sb.logs({ sources: ["gateway"] });
          for (const line of lines.slice(-5)) run.figure(`  ${sb.name} log: ${line.message}`);
        }
      } catch (error) {
        checkUserError(run, `refresh ${sb.name}`, error);
      }
    }
    const deletedAt = performance.now();
    await deleteAll(run, sandboxes);
    await watches.expectAllEnded(run, WATCH_BOUND_MS, deletedAt, "the delete");
    await expectNothingLeft(run, os, runtime, gateway.gatewayId);
  } catch (error) {
    run.fail(`the scenario broke off: ${describe(error)}`);
  } finally {
    await os.close();
    await gateway
      .close()
      .catch((error: unknown) => run.fail(`the gateway did not close: ${describe(error)}`));
    if (engine.pid() === undefined) await engine.start().catch(() => undefined);
    await expectEngineClean(run, runtime, gateway.gatewayId).catch((error: unknown) =>
      run.fail(`could not list the engine's objects: ${describe(error)}`),
    );
    await runtime.close();
    await engine.stop();
  }
  return run;
}
