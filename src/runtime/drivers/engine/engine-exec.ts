import type { Duplex } from "node:stream";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { CanceledError, ContainerRuntimeError, type OpenShellError } from "../../../errors.js";
import type { ExecExit, ExecProcess, ExecSpec, OutputChunk, TerminalSize } from "../../exec-types.js";
import { FrameDecoder } from "../../streams/frame-decoder.js";
import type { ContainerStopNotice } from "./container-watchdog.js";
import { dial } from "./engine-client.js";
import type { EngineContext } from "./engine-context.js";
import { hasStatus } from "./engine-errors.js";

/** How long to wait for the engine to record an exec's exit after its stream has ended. */
const EXIT_SETTLE_MS = 2_000;
const EXIT_POLL_MS = 20;
/**
 * A signal exit can be the container being killed: the exec's process dies with it, and the engine
 * records the exec's exit before the container's. Watch the container this long before believing
 * the exit code is the command's own.
 */
const SIGNAL_EXIT_SETTLE_MS = 750;

/**
 * Starts an exec over a hijacked connection (raw bytes both ways: no HTTP chunking to decode, and
 * stdin can be half-closed) and wraps it so its output always ends: with the exit code, or with an
 * error when the container stops under it, the engine goes away or the signal aborts.
 */
export async function startEngineExec(
  engine: EngineContext,
  containerId: string,
  spec: ExecSpec,
): Promise<ExecProcess> {
  const what = `exec in container ${containerId}`;
  const signal = spec.signal;
  signal?.throwIfAborted();
  const tty = spec.tty ?? false;
  const wantsStdin = spec.stdin ?? false;
  const container = engine.docker.getContainer(containerId);

  // Why the stream was cut, when we cut it: the caller's abort, the container stopping, or the
  // engine lost. The container may stop before the stream exists: then it is cut as it opens.
  let socket: Duplex | undefined;
  let cutReason: OpenShellError | undefined;
  const cut = (reason: OpenShellError) => {
    if (cutReason === undefined) cutReason = reason;
    socket?.destroy();
  };
  let containerStopped = false;
  const onStop = (notice: ContainerStopNotice) => {
    containerStopped ||= notice.kind === "stopped";
    cut(notice.kind === "lost" ? notice.error : stoppedUnder(engine, what));
  };
  // Watching starts before the exec does: a death in between is then told, not missed.
  const watch = await engine.watchdog.watch(containerId, onStop, what, signal);
  try {
    const exec = await engine.call(what, () =>
      container.exec({
        Cmd: [...spec.command],
        Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
        ...(spec.workdir === undefined ? {} : { WorkingDir: spec.workdir }),
        ...(spec.user === undefined ? {} : { User: spec.user }),
        Tty: tty,
        // Engines on API 1.42+ size the terminal from the start; older ones ignore this and get the
        // resize below, which can come after a very quick command has already read its size.
        ...(tty && spec.terminalSize !== undefined
          ? { ConsoleSize: [spec.terminalSize.rows, spec.terminalSize.columns] }
          : {}),
        AttachStdin: wantsStdin,
        AttachStdout: true,
        AttachStderr: true,
        ...(signal === undefined ? {} : { abortSignal: signal }),
      }),
    );
    const opened = (await engine.call(what, () =>
      exec.start({ hijack: true, stdin: wantsStdin, Tty: tty, Detach: false }),
    )) as Duplex;
    socket = opened;
    // From here the socket is ours: an engine that drops it before its output is read (during the
    // terminal resize, say) must fail this exec, not emit an `error` nobody listens to.
    opened.on("error", (error) => cut(engine.error(error, what)));
    if (cutReason !== undefined) opened.destroy();
    return await execProcess(engine, containerId, what, spec, exec, opened, {
      reason: () => cutReason,
      containerStopped: () => containerStopped,
      cut,
      stopWatching: () => watch.stop(),
    });
  } catch (error) {
    watch.stop();
    socket?.destroy();
    throw error;
  }
}

/** How the exec's output learns why its stream was cut, cuts it, and stops the watchdog's watch. */
interface ExecCut {
  reason(): OpenShellError | undefined;
  /** The watchdog has said the container stopped. */
  containerStopped(): boolean;
  cut(reason: OpenShellError): void;
  stopWatching(): void;
}

/** The started exec as an ExecProcess: its output always ends, with the exit code or an error. */
async function execProcess(
  engine: EngineContext,
  containerId: string,
  what: string,
  spec: ExecSpec,
  exec: Docker.Exec,
  socket: Duplex,
  { reason, containerStopped, cut, stopWatching }: ExecCut,
): Promise<ExecProcess> {
  const signal = spec.signal;
  const tty = spec.tty ?? false;
  const wantsStdin = spec.stdin ?? false;
  const onAbort = () =>
    cut(new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal?.reason }));
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });

  const resize = async (size: TerminalSize) => {
    if (!tty)
      throw new ContainerRuntimeError(`${what}: resize needs an exec created with tty: true`, {
        runtime: engine.kind,
      });
    // Through dial: dockerode's own resize accepts only 200, and Podman answers 201.
    await engine.call(`resize ${what}`, () =>
      dial(engine.docker, {
        method: "POST",
        path: `/exec/${encodeURIComponent(exec.id)}/resize?`,
        query: { h: size.rows, w: size.columns },
        okStatuses: [200, 201],
      }),
    );
  };
  if (tty && spec.terminalSize !== undefined) {
    // A command that already finished has no terminal left to size: not an error.
    await resize(spec.terminalSize).catch((error: unknown) => {
      if (/not running|stopped/i.test(String((error as Error).message))) return;
      signal?.removeEventListener("abort", onAbort);
      throw error;
    });
  }

  const exitCodeAfterEnd = async (): Promise<number> => {
    const deadline = Date.now() + EXIT_SETTLE_MS;
    for (;;) {
      const state = await exec.inspect().catch((error: unknown) => {
        if (hasStatus(error, 404) || containerGone(error)) return undefined;
        throw engine.error(error, what);
      });
      // The exec went with its container: removed while the command ran.
      if (state === undefined) throw stoppedUnder(engine, what);
      if (!state.Running && state.ExitCode !== null && state.ExitCode !== undefined) {
        // A signal exit (>= 128) may be the container being killed rather than the command
        // failing; tell them apart, because the first must be an error, not an exit code.
        if (
          state.ExitCode >= 128 &&
          (await containerStops(engine, containerId, SIGNAL_EXIT_SETTLE_MS, containerStopped))
        ) {
          throw stoppedUnder(engine, what);
        }
        return state.ExitCode;
      }
      if (Date.now() > deadline || !(await containerStillRunning(engine, containerId))) {
        throw stoppedUnder(engine, what);
      }
      await sleep(EXIT_POLL_MS);
    }
  };

  let settle: { resolve(exit: ExecExit): void; reject(error: unknown): void } | undefined;
  const exited = new Promise<ExecExit>((resolve, reject) => {
    settle = { resolve, reject };
  });
  exited.catch(() => {}); // observed through wait() or the output iterator; never unhandled

  async function* output(): AsyncGenerator<OutputChunk> {
    const decoder = tty ? undefined : new FrameDecoder();
    try {
      try {
        for await (const chunk of socket as AsyncIterable<Buffer>) {
          if (decoder === undefined) {
            yield { stream: "stdout", data: chunk };
          } else {
            for (const piece of decoder.push(chunk)) yield piece;
          }
        }
      } catch (error) {
        throw reason() ?? engine.error(error, `${what}: the output stream broke`);
      }
      const cutReason = reason();
      if (cutReason !== undefined) throw cutReason;
      if (decoder?.midFrame) {
        throw new ContainerRuntimeError(`${what}: the output stream ended in the middle of a frame`, {
          runtime: engine.kind,
        });
      }
      const exitCode = await exitCodeAfterEnd();
      settle?.resolve({ exitCode });
    } catch (error) {
      settle?.reject(error);
      throw error;
    } finally {
      stopWatching();
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
    }
  }

  const iterator = output();
  let iterated = false;
  const stdin = wantsStdin ? stdinWriter(socket) : null;
  return {
    id: exec.id,
    output: {
      [Symbol.asyncIterator]() {
        if (iterated) throw new Error(`${what}: output can be iterated once`);
        iterated = true;
        return iterator;
      },
    },
    stdin,
    resize,
    async wait() {
      if (!iterated) {
        iterated = true;
        for await (const _ of iterator) {
          // drained: nobody asked for the output
        }
      }
      return exited;
    },
  };
}

/** A Writable over the hijacked socket whose `end()` half-closes it: the process then reads EOF. */
function stdinWriter(socket: Duplex): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
  });
}

/** Engines still say Running while they remove or stop a container; its processes are gone already. */
const ON_ITS_WAY_OUT = new Set(["removing", "stopping"]);

async function containerStillRunning(engine: EngineContext, containerId: string): Promise<boolean> {
  try {
    const state = (await engine.docker.getContainer(containerId).inspect()).State;
    return state.Running && !ON_ITS_WAY_OUT.has(state.Status);
  } catch {
    return false;
  }
}

/** True when the container is, or within `withinMs` becomes, not running (or `told` says it stopped). */
async function containerStops(
  engine: EngineContext,
  containerId: string,
  withinMs: number,
  told: () => boolean,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  do {
    if (told() || !(await containerStillRunning(engine, containerId))) return true;
    await sleep(50);
  } while (Date.now() < deadline);
  return told();
}

/**
 * Podman answers the inspect of an exec whose container was just removed with a 500 "... does not
 * exist in database: no such container" rather than Docker's 404: the same fact.
 */
function containerGone(error: unknown): boolean {
  return /no such container/i.test(String((error as Error | undefined)?.message ?? ""));
}

function stoppedUnder(engine: EngineContext, what: string): ContainerRuntimeError {
  return new ContainerRuntimeError(
    `${what}: the container stopped while the command was running; its exit code is unknown`,
    { runtime: engine.kind },
  );
}
