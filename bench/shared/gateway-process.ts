/**
 * A local gateway in a child process of its own (node --expose-gc running this same bundle with
 * `gateway` as its first argument; see gateway-child.ts), reached by the parent over mTLS through
 * `OpenShell.connect()` to the name it registered. What the child's memory and handles show is the
 * gateway's alone, and the parent can kill it (SIGKILL) as a crash would.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenShell } from "../../src/index.js";
import type { Reconciliation } from "../../src/local/sandboxes/sandbox-reconciliation.js";
import type { ChildMessage, ChildSnapshot, GatewayChildOptions, ParentMessage } from "./gateway-child.js";

export interface GatewayProcessOptions {
  runtime: "docker" | "podman";
  socketPath: string;
  stateDir?: string;
  ephemeral: boolean;
  /** How long the start may take (the engine may be slow on a loaded machine). Default 60 s. */
  startTimeoutMs?: number;
}

export interface GatewayProcess {
  readonly pid: number;
  readonly endpoint: string;
  readonly gatewayId: string;
  readonly stateDir: string;
  /** The registered name `connect()` uses. */
  readonly name: string;
  /** Plays XDG_CONFIG_HOME: the registration is in `<configHome>/openshell/gateways/<name>`. */
  readonly configHome: string;
  readonly reconciliation: Reconciliation;
  /** Resolves when the process has exited, with its code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A client over mTLS, found through the registration as another OpenShell client would find it. */
  connect(options?: { retry?: false }): Promise<OpenShell>;
  /** Memory after a full GC, the sampled RSS peak, internal counts and the warnings so far. */
  snapshot(): Promise<ChildSnapshot>;
  /** Starts sampling the RSS peak afresh. */
  resetPeak(): Promise<void>;
  writeHeapSnapshot(path: string): Promise<void>;
  /**
   * Closes the gateway (an ephemeral one removes what it made) and waits for the process to exit;
   * if the close fails, ends the process anyway (SIGTERM) and rejects with why.
   */
  close(options?: { removeSandboxes?: boolean }): Promise<void>;
  /** Sends a signal (SIGKILL: the crash the fault soak plays) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

let counter = 0;

/**
 * Starts the gateway process and waits until it listens. The entry is the running script
 * (process.argv[1]), which must call `runGatewayChild()` when its first argument is `gateway`.
 */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const configHome = mkdtempSync(join(tmpdir(), "openshell-bench-config-"));
  const name = `bench-${process.pid}-${counter++}`;
  const childOptions: GatewayChildOptions = {
    runtime: options.runtime,
    socketPath: options.socketPath,
    ephemeral: options.ephemeral,
    register: name,
    configHome,
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
  };
  const entry = process.argv[1];
  if (entry === undefined) throw new Error("no entry script to run the gateway process from");
  // BENCH_GATEWAY_NODE_ARGS adds node flags to the gateway process only (--cpu-prof, say).
  const extraArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = fork(entry, ["gateway"], {
    execArgv: ["--expose-gc", ...extraArgs],
    env: { ...process.env, BENCH_GATEWAY_CHILD: JSON.stringify(childOptions) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      rmSync(configHome, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );
  const ready = await waitForReady(child, exited, options.startTimeoutMs ?? 60_000);
  const request = requester(child, exited);
  return {
    pid: child.pid ?? -1,
    endpoint: ready.endpoint,
    gatewayId: ready.gatewayId,
    stateDir: ready.stateDir,
    name,
    configHome,
    reconciliation: ready.reconciliation,
    exited,
    connect: (connectOptions) =>
      OpenShell.connect({
        gateway: name,
        env: { XDG_CONFIG_HOME: configHome },
        homeDir: configHome,
        ...(connectOptions?.retry === false ? { retry: false } : {}),
      }),
    snapshot: async () => {
      const answer = await request({ type: "snapshot" });
      if (answer.snapshot === undefined) throw new Error("the gateway process sent no snapshot");
      return answer.snapshot;
    },
    resetPeak: async () => void (await request({ type: "reset-peak" })),
    writeHeapSnapshot: async (path) => void (await request({ type: "heap-snapshot", path })),
    close: async (closeOptions) => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          await request({ type: "close", removeSandboxes: closeOptions?.removeSandboxes ?? false });
        } catch (error) {
          // A gateway that cannot close (its engine gone, say) must not outlive the run: an
          // ephemeral one's reaper removes what it made once the process is gone.
          child.kill("SIGTERM");
          await exited;
          throw error;
        }
      }
      await exited;
    },
    kill: async (signal) => {
      child.kill(signal);
      await exited;
    },
  };
}

type Ready = Extract<ChildMessage, { type: "ready" }>;

function waitForReady(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
): Promise<Ready> {
  return new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the gateway process did not listen within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", (message: ChildMessage) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === "failed") {
        clearTimeout(timer);
        reject(new Error(`the gateway process failed to start: ${message.error}`));
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the gateway process exited before listening (code ${code}, signal ${signal})`));
    });
  });
}

type Answer = Extract<ChildMessage, { type: "done" }>;
type Request = ParentMessage extends infer M ? (M extends ParentMessage ? Omit<M, "id"> : never) : never;

/** Sends a message and resolves with the child's answer to it; rejects if the child exits first. */
function requester(child: ChildProcess, exited: Promise<unknown>): (message: Request) => Promise<Answer> {
  let next = 0;
  const waiting = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  child.on("message", (message: ChildMessage) => {
    if (message.type !== "done") return;
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(`gateway process: ${message.error}`));
    else waiter?.resolve(message);
  });
  void exited.then(() => {
    for (const waiter of waiting.values()) waiter.reject(new Error("the gateway process exited"));
    waiting.clear();
  });
  return (message) =>
    new Promise<Answer>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      child.send({ ...message, id } as ParentMessage);
    });
}
