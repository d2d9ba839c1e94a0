/**
 * The gateway process is SIGKILLed with 16 ready sandboxes and started again on the same state
 * directory (not ephemeral). A client had an exec, a watch and a forwarded connection open: each
 * must end promptly. The new gateway must reconcile all 16 back to READY with the same ids (each
 * answering an exec), then work as before, and deleting them leaves nothing behind.
 */
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "../../src/index.js";
import { GATEWAY_LABEL } from "../../src/local/gateway-identity.js";
import type { ContainerRuntime } from "../../src/runtime/container-runtime.js";
import { ECHO_PORT, ECHO_SERVER } from "../shared/echo-server.js";
import { IMAGE, removeBenchObjects } from "../shared/engine.js";
import { describe } from "../shared/gateway-child.js";
import { type GatewayProcess, startGatewayProcess } from "../shared/gateway-process.js";
import { inFlight } from "../shared/rounds.js";
import { nextName } from "../shared/sandbox-round.js";
import {
  deleteAll,
  expectEngineClean,
  expectNothingLeft,
  nextCallWorks,
  ScenarioRun,
  StreamTracker,
} from "./soak-check.js";

const SANDBOXES = 16;
const STREAM_BOUND_MS = 15_000;

export async function gatewayKilled(
  kind: "docker" | "podman",
  socketPath: string,
  runtime: ContainerRuntime,
  labels: Record<string, string>,
): Promise<ScenarioRun> {
  const run = new ScenarioRun("gateway SIGKILLed with 16 sandboxes");
  const stateDir = mkdtempSync(join(tmpdir(), "openshell-soak-state-"));
  let second: GatewayProcess | undefined;
  let gatewayId = "";
  try {
    const first = await startGatewayProcess({ runtime: kind, socketPath, stateDir, ephemeral: false });
    gatewayId = first.gatewayId;
    const before = await first.connect();
    const ids = new Map<string, string>();
    const sandboxes: Sandbox[] = [];
    await inFlight(SANDBOXES, 8, async () => {
      const sb = await before.sandboxes.create({
        name: nextName("kept"),
        image: IMAGE,
        command: [...ECHO_SERVER],
        containerLabels: labels,
      });
      sandboxes.push(sb);
      await sb.ready({ timeoutMs: 120_000 });
      ids.set(sb.name, await sb.id());
    });
    run.figure(`${SANDBOXES} sandboxes ready on the first gateway (pid ${first.pid})`);

    const streams = new StreamTracker();
    const [a, b, c] = sandboxes as [Sandbox, Sandbox, Sandbox];
    streams.trackIterable("exec sleep 600", a.execStream(["sleep", "600"]));
    streams.trackIterable("watch", b.watch());
    const forward = await c.forward({ port: ECHO_PORT });
    const socket = connect(forward.localPort, "127.0.0.1");
    await once(socket, "connect");
    socket.write("hello\n");
    await once(socket, "data");
    // A plain TCP client: what it sees is Node's, not an SDK error, so only its end is checked.
    socket.on("error", () => undefined);
    streams.track("forwarded connection", once(socket, "close"), false);

    const killedAt = performance.now();
    await first.kill("SIGKILL");
    run.figure(`gateway process ${first.pid} killed (SIGKILL) ${run.elapsed()} into the scenario`);
    await streams.expectAllEnded(run, STREAM_BOUND_MS, killedAt);
    socket.destroy();
    await before.close();

    const t = performance.now();
    second = await startGatewayProcess({ runtime: kind, socketPath, stateDir, ephemeral: false });
    const { running, missing, orphans } = second.reconciliation;
    run.figure(
      `second gateway (pid ${second.pid}) listening after ${(performance.now() - t).toFixed(0)} ms; ` +
        `reconciliation: ${running.length} running, ${missing.length} missing, ${orphans.length} orphans`,
    );
    run.check(second.gatewayId === gatewayId, `the gateway id changed: ${gatewayId} -> ${second.gatewayId}`);
    const os = await second.connect();
    const listed = await os.sandboxes.list({ limit: 1000 });
    const back = new Map(listed.map((s) => [s.name, s]));
    for (const [name, id] of ids) {
      const info = back.get(name);
      if (!run.check(info !== undefined, `${name} is not listed after the restart`)) continue;
      run.check(info?.id === id, `${name} came back with id ${info?.id}, was ${id}`);
    }
    const readyAt = performance.now();
    let ready = 0;
    await Promise.all(
      [...ids.keys()].map(async (name) => {
        try {
          const sb = os.sandboxes.handle(name);
          await sb.ready({ timeoutMs: 30_000 });
          const echoed = await sb.exec(["echo", name]);
          if (
            run.check(
              echoed.stdout === `${name}\n`,
              `exec in ${name} answered ${JSON.stringify(echoed.stdout)}`,
            )
          ) {
            ready++;
          }
        } catch (error) {
          run.fail(`${name} is not back: ${describe(error)}`);
        }
      }),
    );
    run.figure(
      `${ready} of ${SANDBOXES} READY with the same ids and answering exec ` +
        `${(performance.now() - readyAt).toFixed(0)} ms after the second gateway listened`,
    );
    await nextCallWorks(run, os, labels);
    await deleteAll(
      run,
      [...ids.keys()].map((name) => os.sandboxes.handle(name)),
    );
    await expectNothingLeft(run, os, runtime, gatewayId);
    await os.close();
  } catch (error) {
    run.fail(`the scenario broke off: ${describe(error)}`);
  } finally {
    await second?.close({ removeSandboxes: true }).catch((error: unknown) => run.fail(describe(error)));
    if (gatewayId) await expectEngineClean(run, runtime, gatewayId);
    // Broken off before a gateway could remove them: remove by its label, so no run leaves them.
    if (gatewayId) await removeBenchObjects(runtime, { [GATEWAY_LABEL]: gatewayId }).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }
  return run;
}
