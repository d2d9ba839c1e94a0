import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { FrameDecoder } from "../../../src/runtime/streams/frame-decoder.js";
import { flag, lastValue, option, parseArgs } from "./argv.js";
import { inspectContainer } from "./container-commands.js";
import { CliFailure, type EmulatorContext, type Handler, type Invocation } from "./emulator-context.js";

/*
 * `container logs [-f] [-n N] ID` as ContainerLogs.swift@0.12.3 and @1.1.0 print it: one log of the
 * init process's stdout and stderr merged, no timestamps, holding only the current run (Apple's
 * runtime truncates it at each start; here Docker's log is read from the emulator's last start).
 * Without -n the whole log is printed with leading and trailing newlines trimmed, and an empty log
 * prints nothing and ends at once, even with -f (`readToEnd()` gives nil for a zero-byte read and
 * `tail` returns before following). With -n the last N non-empty lines. -f then prints each
 * non-empty line appended, and does not end when the container stops (only when killed).
 */

const POLL_MS = 250;

/** Docker's `since` for the current run: the emulator's last start, else Docker's StartedAt. */
function runStart(context: EmulatorContext, id: string, info: Docker.ContainerInspectInfo): number {
  const known = context.startedAt.get(id);
  if (known !== undefined) return known;
  const started = Date.parse(info.State.StartedAt);
  return Number.isNaN(started) || started < 0 ? 0 : started;
}

/** A time as Docker's `since` takes it: Unix seconds with a fraction (nanoseconds). */
function dockerSince(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, "0")}`;
}

/** The `since` just after a Docker log timestamp (RFC 3339 with nanoseconds): Docker's `since` is inclusive. */
function justAfter(stamp: string): string | undefined {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(stamp);
  if (match === null) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`) / 1000;
  const nanos = Number((match[2] ?? "").padEnd(9, "0")) + 1;
  return nanos >= 1e9 ? `${seconds + 1}.000000000` : `${seconds}.${String(nanos).padStart(9, "0")}`;
}

/** The merged bytes of a log chunk: stdout and stderr frames, or raw bytes for a tty container. */
function merger(tty: boolean): (chunk: Buffer) => Buffer {
  if (tty) return (chunk) => chunk;
  const decoder = new FrameDecoder();
  return (chunk) => Buffer.concat(decoder.push(chunk).map((piece) => piece.data));
}

/**
 * The current run's log so far, and the `since` that follows on from its last line (so a follow
 * neither repeats nor skips a line at the seam).
 */
async function readLog(
  context: EmulatorContext,
  info: Docker.ContainerInspectInfo,
  sinceMs: number,
): Promise<{ log: Buffer; next: string }> {
  const raw = (await context.docker.getContainer(info.Id).logs({
    follow: false,
    stdout: true,
    stderr: true,
    timestamps: true,
    since: dockerSince(sinceMs),
  } as Docker.ContainerLogsOptions & { follow: false })) as Buffer;
  const stamped = merger(info.Config.Tty ?? false)(raw).toString("utf8");
  let next = dockerSince(sinceMs);
  const pieces: string[] = [];
  // Each line Docker stored starts with its timestamp and a space.
  for (const line of stamped.split(/(?<=\n)/)) {
    const space = line.indexOf(" ");
    if (space === -1) continue;
    next = justAfter(line.slice(0, space)) ?? next;
    pieces.push(line.slice(space + 1));
  }
  return { log: Buffer.from(pieces.join(""), "utf8"), next };
}

const nonEmptyLines = (text: string) => text.split(/\r\n|\r|\n/).filter((line) => line !== "");

/** Prints each non-empty line appended from `sinceMs` on, across restarts, until the command is killed. */
async function follow(
  context: EmulatorContext,
  invocation: Invocation,
  id: string,
  from: string,
): Promise<void> {
  let since = from;
  const { signal } = invocation;
  while (!signal.aborted) {
    const info = await inspectContainer(context, id).catch(() => undefined);
    if (info === undefined || !info.State.Running) {
      // Still reading the (unlinked or idle) file: nothing more comes until a restart.
      await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
      continue;
    }
    const stream = (await context.docker.getContainer(info.Id).logs({
      follow: true,
      stdout: true,
      stderr: true,
      since,
      abortSignal: signal,
    } as Docker.ContainerLogsOptions & { follow: true })) as Readable;
    const merge = merger(info.Config.Tty ?? false);
    const onAbort = () => stream.destroy();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (const line of nonEmptyLines(merge(chunk).toString("utf8"))) invocation.stdout.write(`${line}\n`);
      }
    } catch {
      // Killed, or the container went: the loop decides.
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    // The next run's log starts at its own start.
    since = dockerSince(Date.now());
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

export const logsCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container logs [--boot] [--follow] [-n <n>] <container-id>",
    options: [flag("boot", "--boot"), flag("follow", "-f", "--follow"), option("lines", "-n")],
    minPositionals: 1,
    maxPositionals: 1,
  });
  if (parsed.flags.has("boot")) throw new CliFailure("Error: emulator: logs --boot is not emulated");
  const id = parsed.positionals[0] as string;
  const info = await inspectContainer(context, id);
  const { log, next } = await readLog(context, info, runStart(context, id, info));
  const lines = lastValue(parsed, "lines");
  if (lines !== undefined) {
    const count = Number(lines);
    for (const line of nonEmptyLines(log.toString("utf8")).slice(count === 0 ? Infinity : -count)) {
      invocation.stdout.write(`${line}\n`);
    }
  } else {
    if (log.length === 0) return 0;
    invocation.stdout.write(`${log.toString("utf8").replace(/^[\r\n]+|[\r\n]+$/g, "")}\n`);
  }
  if (parsed.flags.has("follow")) await follow(context, invocation, id, next);
  return 0;
};
