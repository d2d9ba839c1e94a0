import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, openSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, parse } from "node:path";
import { type ReapTarget, reapSession } from "./reap-session.js";

/*
 * The watcher: a detached `node` that reaps a session once the process that started it is gone,
 * however it went (SIGKILL and OOM kills included), because it learns of the death from the kernel
 * rather than from the dying process.
 *
 * Protocol, over one socket pair passed to the watcher as fd 3 (the parent's end is close-on-exec,
 * so processes the parent spawns later do not inherit it and cannot keep the watcher waiting):
 *   watcher -> parent  "R"  armed: fd 3 is being watched; startReaper resolves on it.
 *   parent  -> watcher "C"  cancel: exit without reaping (ReaperHandle.stop).
 *   EOF on fd 3             the parent is gone (the kernel closed its end): reap, then exit.
 * SIGTERM, SIGINT and SIGHUP also make the watcher reap: they mean its whole environment is being
 * torn down (a service manager or container stop signals every process of the group at once).
 *
 * A normal exit of the parent closes fd 3 as well, so it reaps too: the session's objects are
 * temporary by design, and leaving them behind is the leak this exists to prevent. A caller that
 * wants them kept calls stop() first.
 */

export interface StartReaperOptions {
  /** How long the watcher keeps retrying after the parent is gone (an engine may be busy). Default 15 s. */
  retryForMs?: number;
  /** How long to wait for the watcher to report that it is armed. Default 10 s. */
  startTimeoutMs?: number;
  /**
   * Append the watcher's log to this file (created with mode 0600), or `true` for
   * `<tmpdir>/openshell-reaper-<sessionId>.log`. Default: no log.
   */
  logFile?: string | true;
  /** Environment to pick PATH, HOME and the like from; `process.env` by default. Nothing else is passed on. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface ReaperHandle extends AsyncDisposable {
  /** The watcher's process id. */
  readonly pid: number;
  readonly sessionId: string;
  /**
   * Disarms the watcher: it exits without reaping. Resolves once it has exited. Idempotent. After
   * this, startReaper for the same session starts a new watcher.
   */
  stop(): Promise<void>;
}

/** What the watcher receives as its one argument (JSON). Paths only: no key material, no env secrets. */
interface WatcherConfig {
  target: ReapTarget;
  sessionId: string;
  retryForMs: number;
}

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ENV_PASSED_ON = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "TMPDIR",
  "TMP",
  "TEMP",
  "LANG",
  "LC_ALL",
  "SystemRoot",
];

const reapers = new Map<string, Promise<ReaperHandle>>();

/**
 * Starts a detached watcher that reaps `sessionId` on `target` when this process dies, and resolves
 * once the watcher is armed. Idempotent per (target, sessionId) within a process: a second call
 * returns the first call's handle (and ignores its options) until that watcher is stopped or exits.
 */
export function startReaper(
  target: ReapTarget,
  sessionId: string,
  options: StartReaperOptions = {},
): Promise<ReaperHandle> {
  const key = `${canonicalJson(target)} ${sessionId}`;
  const existing = reapers.get(key);
  if (existing !== undefined) return existing;
  const started = spawnWatcher(target, sessionId, options, () => {
    if (reapers.get(key) === started) reapers.delete(key);
  });
  reapers.set(key, started);
  started.catch(() => {
    if (reapers.get(key) === started) reapers.delete(key);
  });
  return started;
}

/**
 * The watcher's whole program: `reapSession` and `watchParent` as text, then a main line. It is
 * given to `node --input-type=module -e`, so it must not depend on anything of this package.
 * @internal exported for tests
 */
export function watcherProgram(): string {
  return [
    "// openshell reaper watcher (see openshell/src/runtime/reaper/start-reaper.ts)",
    `const reapSession = (${reapSession.toString()});`,
    `const watchParent = (${watchParent.toString()});`,
    "await watchParent(reapSession, JSON.parse(process.argv[1]));",
    "process.exit(0);",
  ].join("\n");
}

/**
 * The watcher's main: waits for fd 3 to say what to do, then reaps with retries. Runs as text in a
 * bare node, under the same rules as `reapSession` (see there): no outside references, built-ins
 * through `builtin.load`, helpers as methods.
 */
async function watchParent(reap: typeof reapSession, config: WatcherConfig): Promise<void> {
  const builtin = {
    // process.getBuiltinModule (Node 20.16+) works in any context, a test runner's VM included,
    // where a dynamic import compiled by new Function has no loader; that covers older Node 20s.
    async load(specifier: string): Promise<unknown> {
      return typeof process.getBuiltinModule === "function"
        ? process.getBuiltinModule(specifier)
        : new Function("specifier", "return import(specifier)")(specifier);
    },
  };
  const net = (await builtin.load("node:net")) as typeof import("node:net");
  const log = {
    write(message: string): void {
      process.stderr.write(`${new Date().toISOString()} openshell-reaper[${process.pid}] ${message}\n`);
    },
  };
  process.title = `openshell-reaper ${config.sessionId}`;

  const reason = await new Promise<string>((resolve) => {
    const channel = new net.Socket({ fd: 3, readable: true, writable: true });
    channel.on("data", (chunk: Buffer) => {
      if (chunk.includes("C")) resolve("cancel");
    });
    channel.on("end", () => resolve("parent gone"));
    channel.on("close", () => resolve("parent gone"));
    channel.on("error", (error) => resolve(`parent gone (${error.message})`));
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => resolve(signal));
    channel.write("R");
    log.write(`armed for session ${config.sessionId}`);
  });
  if (reason === "cancel") {
    log.write("cancelled: exiting without reaping");
    return;
  }

  log.write(`${reason}: reaping session ${config.sessionId}`);
  const deadline = Date.now() + config.retryForMs;
  for (let pass = 1; ; pass += 1) {
    let quiet = false;
    try {
      const result = await reap(config.target, config.sessionId);
      log.write(
        `pass ${pass}: removed ${result.containers} container(s), ${result.networks} network(s), ${result.volumes} volume(s)`,
      );
      quiet = result.containers + result.networks + result.volumes === 0;
    } catch (error) {
      log.write(`pass ${pass} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Stop at the first quiet pass after the first: a create request still in flight when the
    // parent died can make an object appear just after the first pass listed everything.
    if (quiet && pass >= 2) break;
    if (Date.now() >= deadline) {
      log.write(`giving up after ${config.retryForMs} ms`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, pass === 1 ? 1_000 : 500));
  }
  log.write("done");
}

async function spawnWatcher(
  target: ReapTarget,
  sessionId: string,
  options: StartReaperOptions,
  onGone: () => void,
): Promise<ReaperHandle> {
  options.signal?.throwIfAborted();
  // Checked here because the watcher would only find out after this process is gone, with no one to tell.
  if (!SESSION_ID.test(sessionId))
    throw new Error(`startReaper: invalid session id ${JSON.stringify(sessionId)}`);
  if (target.kind === "engine" && target.endpoint.kind === "tcp" && target.endpoint.tls !== undefined) {
    const tls = target.endpoint.tls;
    for (const file of tls.verify ? [tls.caFile, tls.certFile, tls.keyFile] : [tls.certFile, tls.keyFile]) {
      accessSync(file, constants.R_OK);
    }
  }
  const config: WatcherConfig = { target, sessionId, retryForMs: options.retryForMs ?? 15_000 };
  const logPath =
    options.logFile === true ? join(tmpdir(), `openshell-reaper-${sessionId}.log`) : options.logFile;
  // O_NOFOLLOW: the default path is in a shared directory, where someone may have planted a symlink.
  const logFd =
    logPath === undefined
      ? undefined
      : openSync(
          logPath,
          constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
          0o600,
        );

  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, ["--input-type=module", "-e", watcherProgram(), JSON.stringify(config)], {
      detached: true,
      // Never the parent's stdout/stderr: a watcher holding them would keep a pipe reader waiting.
      stdio: ["ignore", logFd ?? "ignore", logFd ?? "ignore", "pipe"],
      env: watcherEnv(options.env ?? process.env, target),
      // Not the parent's cwd, which the watcher would otherwise keep busy.
      cwd: parse(process.cwd()).root,
      windowsHide: true,
    });
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
  const channel = child.stdio[3] as Socket;
  // After the parent has stopped listening, a write to a dead watcher must not become an uncaught error.
  channel.on("error", () => {});

  try {
    await armed(child, channel, options.startTimeoutMs ?? 10_000, options.signal, logPath);
  } catch (error) {
    child.kill("SIGKILL");
    channel.destroy();
    throw error;
  }
  // Neither the watcher nor its pipe may keep this process alive.
  child.unref();
  channel.unref();

  let exited = child.exitCode !== null || child.signalCode !== null;
  const exit = new Promise<void>((resolve) => {
    if (exited) resolve();
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  void exit.then(onGone);

  let stopping: Promise<void> | undefined;
  const pid = child.pid!;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      onGone();
      if (!exited) {
        channel.end("C");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exit;
        clearTimeout(timer);
      }
      channel.destroy();
    })();
    return stopping;
  };
  return { pid, sessionId, stop, [Symbol.asyncDispose]: stop };
}

/** Resolves when the watcher writes "R"; rejects when it exits first, times out, or `signal` aborts. */
function armed(
  child: ReturnType<typeof spawn>,
  channel: Socket,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  logPath: string | undefined,
): Promise<void> {
  const seeLog = logPath === undefined ? "" : ` (log: ${logPath})`;
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      channel.off("data", onData);
      child.off("exit", onExit);
      child.off("error", settle);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      if (chunk.includes("R")) settle();
    };
    const onExit = (code: number | null, killedBy: NodeJS.Signals | null): void => {
      settle(
        new Error(
          `the reaper watcher exited before it was armed (${killedBy ?? `exit code ${code}`})${seeLog}`,
        ),
      );
    };
    const onAbort = (): void =>
      settle(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    const timer = setTimeout(
      () => settle(new Error(`the reaper watcher was not armed within ${timeoutMs} ms${seeLog}`)),
      timeoutMs,
    );
    channel.on("data", onData);
    child.once("exit", onExit);
    child.once("error", settle);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Only what finding programs and home directories needs: never tokens, DOCKER_* or NODE_OPTIONS. */
function watcherEnv(env: NodeJS.ProcessEnv, target: ReapTarget): NodeJS.ProcessEnv {
  const names =
    target.kind === "engine" && target.endpoint.kind === "ssh"
      ? [...ENV_PASSED_ON, "SSH_AUTH_SOCK"]
      : ENV_PASSED_ON;
  const out: NodeJS.ProcessEnv = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  // Inside Electron, process.execPath is the app; this makes it behave as plain node.
  if (process.versions.electron !== undefined) out.ELECTRON_RUN_AS_NODE = "1";
  return out;
}

/** JSON with object keys sorted, so equal targets built in a different key order share one watcher. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
