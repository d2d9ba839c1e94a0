import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { FrameDecoder } from "../../../src/runtime/streams/frame-decoder.js";
import { flag, lastValue, option, parseArgs } from "./argv.js";
import { inspectContainer } from "./container-commands.js";
import { CliFailure, type EmulatorContext, type Handler } from "./emulator-context.js";

/*
 * `container exec [-i] [-t] [-e K=V] [-u USER] [-w DIR] ID CMD...` (Flags.Process, ContainerExec.swift):
 * the process starts from the init process's user, environment and working directory (as a Docker
 * exec does), stdin only with -i, one terminal stream with -t, and the CLI exits with the process's
 * exit code. Here a Docker exec over a hijacked connection. Like the CLI, -t alone works without a
 * terminal, and -i -t does not (it needs the CLI's own stdin to be one).
 */

/** How long the engine may take to record an exec's exit after its stream ended. */
const EXIT_SETTLE_MS = 2_000;

async function exitCode(exec: Docker.Exec): Promise<number | undefined> {
  const deadline = Date.now() + EXIT_SETTLE_MS;
  for (;;) {
    const state = await exec.inspect().catch(() => undefined);
    if (state === undefined) return undefined;
    if (!state.Running && typeof state.ExitCode === "number") return state.ExitCode;
    if (Date.now() > deadline) return undefined;
    await sleep(20);
  }
}

/** How long a signal exit is watched for its container stopping (a killed VM takes the process with it). */
const SIGNAL_SETTLE_MS = 1_000;

/** Whether the container still runs after the exec ended; a signal exit may be the container being killed. */
async function stillRunning(
  context: EmulatorContext,
  id: string,
  code: number | undefined,
): Promise<boolean> {
  const deadline = Date.now() + (code === undefined || code >= 128 ? SIGNAL_SETTLE_MS : 0);
  for (;;) {
    const info = await inspectContainer(context, id).catch(() => undefined);
    if (info === undefined || !info.State.Running) return false;
    if (Date.now() >= deadline) return true;
    await sleep(50);
  }
}

export const execCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container exec [<options>] <container-id> <arguments> ...",
    options: [
      option("env", "-e", "--env"),
      option("user", "-u", "--user"),
      option("workdir", "-w", "--workdir", "--cwd"),
      flag("interactive", "-i", "--interactive"),
      flag("tty", "-t", "--tty"),
    ],
    leading: 1,
    minPositionals: 1,
  });
  const id = parsed.positionals[0] as string;
  if (parsed.rest.length === 0)
    throw new CliFailure("Error: Missing expected argument '<arguments> ...'", 64);
  const info = await inspectContainer(context, id);
  if (!info.State.Running) throw new CliFailure(`Error: invalidState: "container ${id} is not running"`);
  const tty = parsed.flags.has("tty");
  const interactive = parsed.flags.has("interactive");
  if (tty && interactive) {
    // ProcessIO.create (0.12.3 and 1.1.0) puts the CLI's own stdin in raw mode for -i -t:
    // `Terminal(descriptor: STDIN_FILENO)` calls tcgetattr, which fails with ENOTTY when stdin is a
    // pipe, as it always is under a CommandRunner; ContainerExec wraps that error as internalError.
    // (The wording of Swift's POSIXError description here is approximate.)
    throw new CliFailure(
      'Error: internalError: "failed to exec process POSIXError(_nsError: Error Domain=NSPOSIXErrorDomain Code=25 "Inappropriate ioctl for device")"',
    );
  }
  const user = lastValue(parsed, "user");
  const workdir = lastValue(parsed, "workdir");
  const exec = await context.docker.getContainer(info.Id).exec({
    Cmd: parsed.rest,
    Env: parsed.values.get("env") ?? [],
    ...(user === undefined ? {} : { User: user }),
    ...(workdir === undefined ? {} : { WorkingDir: workdir }),
    Tty: tty,
    AttachStdin: interactive,
    AttachStdout: true,
    AttachStderr: true,
  });
  const socket = (await exec.start({ hijack: true, stdin: interactive, Tty: tty })) as Duplex;
  const { signal } = invocation;
  const onAbort = () => socket.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  if (interactive) {
    invocation.stdin.on("data", (chunk: Buffer) => socket.write(chunk));
    // The CLI's stdin ending is the process's EOF: half-close the connection.
    invocation.stdin.on("end", () => socket.end());
  }
  const decoder = tty ? undefined : new FrameDecoder();
  try {
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      if (decoder === undefined) {
        if (!invocation.stdout.write(chunk)) await new Promise((r) => invocation.stdout.once("drain", r));
        continue;
      }
      for (const piece of decoder.push(chunk)) {
        const out = piece.stream === "stderr" ? invocation.stderr : invocation.stdout;
        if (!out.write(piece.data)) await new Promise((r) => out.once("drain", r));
      }
    }
  } catch (error) {
    if (signal.aborted) return 137;
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  const code = await exitCode(exec);
  if (!(await stillRunning(context, id, code))) {
    // The VM went away under the process: the CLI reports an error, not the process's exit code.
    // (These words are the emulator's; what the CLI prints then has not been read in its source.)
    throw new CliFailure(`Error: internalError: "container ${id} stopped while the process was running"`);
  }
  return code ?? 1;
};
