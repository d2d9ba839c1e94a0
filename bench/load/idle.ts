/**
 * What ready sandboxes that nobody uses cost the engine: a second gateway process whose engine
 * socket is the counting proxy of test/support, with sandboxes ready and left alone, counted over a
 * window. Then one sandbox's main process is killed behind the gateway's back (on the engine's own
 * socket), and the time until a client sees the sandbox leave READY says whether exits are still
 * noticed promptly without polling.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Sandbox } from "../../src/index.js";
import { SANDBOX_ID_LABEL } from "../../src/local/sandboxes/sandbox-container.js";
import type { ContainerRuntime } from "../../src/runtime/container-runtime.js";
import { startEngineProxy } from "../../test/support/engine-proxy.js";
import type { BenchEngine } from "../shared/engine.js";
import { IMAGE } from "../shared/engine.js";
import { startGatewayProcess } from "../shared/gateway-process.js";
import { inFlight } from "../shared/rounds.js";
import { nextName } from "../shared/sandbox-round.js";

export interface IdleCost {
  sandboxes: number;
  windowMs: number;
  perSecond: number;
  /** `METHOD /path` to requests per second. */
  requests: Map<string, number>;
  /** From the kill of one sandbox's main process until a client saw it leave READY (ms). */
  exitNoticedMs: number | undefined;
  exitPhase: string | undefined;
}

export async function idleCost(
  engine: BenchEngine,
  runtime: ContainerRuntime,
  labels: Record<string, string>,
  count: number,
  windowMs: number,
): Promise<IdleCost> {
  const proxy = await startEngineProxy(engine.socketPath);
  const gateway = await startGatewayProcess({
    runtime: engine.kind,
    socketPath: proxy.socketPath,
    ephemeral: true,
  });
  const os = await gateway.connect();
  try {
    const sandboxes: Sandbox[] = [];
    await inFlight(count, 8, async () => {
      const sb = await os.sandboxes.create({ name: nextName("idle"), image: IMAGE, containerLabels: labels });
      sandboxes.push(sb);
      await sb.ready({ timeoutMs: 120_000 });
    });
    await sleep(2000);
    proxy.take();
    await sleep(windowMs);
    const counts = proxy.take();
    const requests = new Map([...counts.requests].map(([key, n]) => [key, n / (windowMs / 1000)]));
    const perSecond = [...requests.values()].reduce((a, b) => a + b, 0);

    const victim = sandboxes[0] as Sandbox;
    const [container] = await runtime.listContainers({ labels: { [SANDBOX_ID_LABEL]: await victim.id() } });
    let exitNoticedMs: number | undefined;
    let exitPhase: string | undefined;
    if (container !== undefined) {
      const killedAt = performance.now();
      await runtime.killContainer(container.id, { killSignal: "SIGKILL" });
      for (let waited = 0; waited < 30_000; waited = performance.now() - killedAt) {
        const info = await victim.refresh();
        if (info.phase !== "ready") {
          exitNoticedMs = performance.now() - killedAt;
          exitPhase = `${info.phase}${info.reason ? ` (${info.reason})` : ""}`;
          break;
        }
        await sleep(20);
      }
    }
    return { sandboxes: count, windowMs, perSecond, requests, exitNoticedMs, exitPhase };
  } finally {
    await os.close();
    await gateway.close();
    await proxy.close();
  }
}
