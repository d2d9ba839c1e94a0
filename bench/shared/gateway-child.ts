/**
 * The child side of a gateway process (see gateway-process.ts): `OpenShell.local()` listening over
 * mTLS on loopback and registered in a config root of the run's own, so that the process's memory,
 * handles and warnings are the gateway's alone. The parent drives it over the IPC channel: snapshots
 * after a full GC (node runs with --expose-gc), a reset of the sampled RSS peak, heap snapshots, and
 * a close. Every process warning is kept and reported (a MaxListenersExceededWarning among them).
 */
import { getEventListeners } from "node:events";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { OpenShell } from "../../src/index.js";
import type { Reconciliation } from "../../src/local/sandboxes/sandbox-reconciliation.js";
import { gcExposed, type MemorySnapshot, snapshot } from "./memory-snapshot.js";

/** What the parent asks for: given as JSON in BENCH_GATEWAY_CHILD. */
export interface GatewayChildOptions {
  runtime: "docker" | "podman";
  /** The engine's unix socket. */
  socketPath: string;
  /** Default: a temporary directory of the gateway's own (ephemeral) or the user's default. */
  stateDir?: string;
  ephemeral: boolean;
  /** The name the listener is registered under in `<configHome>/openshell`. */
  register: string;
  /** Plays XDG_CONFIG_HOME for the registration. */
  configHome: string;
}

export interface ProcessWarning {
  name: string;
  code: string | undefined;
  message: string;
}

/**
 * Counts read from the gateway's internals, for benchmarks only (no public API says how many
 * streams listen to a gateway): listeners on its shutdown signal (every open watch, exec and forward
 * stream and every log pump adds one and must remove it when it ends), watchers subscribed to its
 * live sandboxes, and how many sandboxes it holds live. Undefined when the internals have moved.
 */
export interface GatewayInternals {
  shutdownListeners: number | undefined;
  sandboxWatchers: number | undefined;
  liveSandboxes: number | undefined;
}

export interface ChildSnapshot {
  memory: MemorySnapshot;
  /** Whether the figures are after a forced full GC (the child runs with --expose-gc). */
  gcExposed: boolean;
  /** The highest RSS sampled (every 25 ms) since the last `reset-peak`. */
  sampledPeakRss: number;
  internals: GatewayInternals;
  warnings: ProcessWarning[];
}

export type ParentMessage =
  | { id: number; type: "snapshot" }
  | { id: number; type: "reset-peak" }
  | { id: number; type: "heap-snapshot"; path: string }
  | { id: number; type: "close"; removeSandboxes: boolean };

export type ChildMessage =
  | { type: "ready"; endpoint: string; gatewayId: string; stateDir: string; reconciliation: Reconciliation }
  | { type: "failed"; error: string }
  | { id: number; type: "done"; snapshot?: ChildSnapshot; error?: string };

/** The internals read by {@link probe}; a shape, not an import, so nothing private is exported for it. */
interface ManagerShape {
  shutdown?: AbortSignal;
  keeper?: { values?: () => Iterable<{ listeners?: Set<unknown> }> };
}

function probe(os: OpenShell): GatewayInternals {
  const manager = (os.localGateway as unknown as { sandboxes?: ManagerShape } | undefined)?.sandboxes;
  const signal = manager?.shutdown;
  const live = manager?.keeper?.values ? [...manager.keeper.values()] : undefined;
  return {
    shutdownListeners: signal ? getEventListeners(signal, "abort").length : undefined,
    sandboxWatchers: live?.reduce((sum, s) => sum + (s.listeners?.size ?? 0), 0),
    liveSandboxes: live?.length,
  };
}

export async function runGatewayChild(): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  const warnings: ProcessWarning[] = [];
  process.on("warning", (w) => {
    warnings.push({ name: w.name, code: (w as { code?: string }).code, message: w.message });
  });
  let peak = process.memoryUsage.rss();
  setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 25).unref();

  const options = JSON.parse(process.env.BENCH_GATEWAY_CHILD ?? "{}") as GatewayChildOptions;
  let os: OpenShell;
  let closeListener: () => Promise<void>;
  try {
    os = await OpenShell.local({
      runtime: options.runtime,
      runtimeOptions: { endpoint: { kind: "unix", socketPath: options.socketPath } },
      ephemeral: options.ephemeral,
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    });
    const gateway = os.localGateway;
    if (gateway === undefined) throw new Error("OpenShell.local() returned no local gateway");
    const listener = await gateway.listen({
      register: options.register,
      configRoot: join(options.configHome, "openshell"),
    });
    closeListener = () => listener.close();
    send({
      type: "ready",
      endpoint: listener.endpoint,
      gatewayId: gateway.gatewayId,
      stateDir: gateway.stateDir,
      reconciliation: gateway.reconciliation,
    });
  } catch (error) {
    // Exit once the parent has the reason: an IPC message is sent asynchronously.
    const failed: ChildMessage = { type: "failed", error: describe(error) };
    if (process.send === undefined) process.exit(1);
    process.send(failed, () => process.exit(1));
    return;
  }

  process.on("message", (message: ParentMessage) => {
    void (async () => {
      try {
        switch (message.type) {
          case "snapshot": {
            const memory = await snapshot();
            send({
              id: message.id,
              type: "done",
              snapshot: { memory, gcExposed, sampledPeakRss: peak, internals: probe(os), warnings },
            });
            return;
          }
          case "reset-peak":
            peak = process.memoryUsage.rss();
            send({ id: message.id, type: "done" });
            return;
          case "heap-snapshot":
            writeHeapSnapshot(message.path);
            send({ id: message.id, type: "done" });
            return;
          case "close":
            await closeListener();
            if (message.removeSandboxes) await os.localGateway?.close({ removeSandboxes: true });
            await os.close();
            // Leave at once: nothing of the gateway runs any more, and what Node keeps open (the
            // sampler is unref'd, the IPC channel is not) would keep the process alive.
            process.send?.({ id: message.id, type: "done" } satisfies ChildMessage, () => process.exit(0));
            return;
        }
      } catch (error) {
        send({ id: message.id, type: "done", error: describe(error) });
      }
    })();
  });
}

export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.constructor.name}${code === undefined ? "" : ` (${String(code)})`}: ${error.message}`;
}
