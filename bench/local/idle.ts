/**
 * What a local gateway asks of the engine while its sandboxes sit ready and unused: the requests
 * through the counting proxy over a quiet window. The goal is none (the gateway's log follows and
 * the driver's watchdog wait on the engine's streams and events instead of polling), so this is the
 * figure that shows a poll coming back.
 *
 *   BENCH_IDLE_ONLY=1 npm run bench:local   (this count alone, on its own gateway and proxy)
 */
import type { OpenShell } from "../../src/index.js";
import type { EngineProxy } from "../../test/support/engine-proxy.js";
import { IMAGE } from "../shared/engine.js";
import { inFlight } from "../shared/rounds.js";

/** Idle sandboxes, and for how long their gateway's engine requests are counted. */
export const IDLE_SANDBOXES = 8;
export const IDLE_WINDOW_MS = 5000;
/** After the last sandbox is ready, before counting: the gateway's own follow-ups of the creates. */
const SETTLE_MS = 2000;

export interface IdleCount {
  sandboxes: number;
  windowMs: number;
  perSecond: number;
  /** `METHOD /path` to how many times it was asked in the window. */
  requests: Map<string, number>;
}

/**
 * Makes IDLE_SANDBOXES ready sandboxes on `os` (whose engine is behind `proxy`), lets them settle,
 * and counts what the gateway asks of the engine while they sit idle.
 */
export async function countIdleRequests(
  os: OpenShell,
  proxy: EngineProxy,
  labels: Record<string, string>,
): Promise<IdleCount> {
  await inFlight(IDLE_SANDBOXES, 8, async (i) => {
    const sb = await os.sandboxes.create({ name: `idle-${i}`, image: IMAGE, containerLabels: labels });
    await sb.ready({ timeoutMs: 120_000 });
  });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  proxy.take();
  await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
  const { requests } = proxy.take();
  const total = [...requests.values()].reduce((a, b) => a + b, 0);
  return {
    sandboxes: IDLE_SANDBOXES,
    windowMs: IDLE_WINDOW_MS,
    perSecond: total / (IDLE_WINDOW_MS / 1000),
    requests,
  };
}

/** One line: the rate, per sandbox, and by request. */
export function printIdle(idle: IdleCount, shown: (key: string) => string = (key) => key): void {
  const kinds = [...idle.requests]
    .map(([key, n]) => `${shown(key)} ${(n / (idle.windowMs / 1000)).toFixed(1)}/s`)
    .join(", ");
  console.log(
    `With ${idle.sandboxes} idle sandboxes the local gateway makes ${idle.perSecond.toFixed(1)} engine ` +
      `requests/s (${(idle.perSecond / idle.sandboxes).toFixed(2)}/s per sandbox, ` +
      `over ${idle.windowMs / 1000} s)${kinds ? `: ${kinds}` : ""}`,
  );
}
