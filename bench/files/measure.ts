/**
 * What the files benchmark measures with: a transfer's wall time, this process's CPU time and its
 * peak RSS (sampled every 20 ms, since a transfer's memory is chunks that come and go between GCs),
 * and the command-line tools it runs as the alternatives and to make and check its files. Those
 * tools run as child processes with files as their stdin and stdout, so no byte of theirs passes
 * through this process and its memory stays the SDK's.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { open, stat } from "node:fs/promises";
import type { Sandbox } from "../../src/index.js";

export const MiB = 1024 * 1024;
/** How often the RSS sampler looks, as the goal asks. */
const SAMPLE_MS = 20;

/** One timed transfer: MiB/s, this process's CPU seconds, and its memory before and at its peak. */
export interface Transfer {
  mibPerSecond: number;
  cpuSeconds: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  /** The highest Buffer/ArrayBuffer memory seen (chunks in flight), in MiB. */
  arrayBuffersPeakMiB: number;
  /** ms from the start until `mark()` was first called (-1 when never): a phase inside the transfer. */
  markMs: number;
}

/**
 * Times `run`, which moves `bytes`, sampling this process's memory every 20 ms meanwhile. The
 * timer is unref'd so it never keeps the process alive, and stopped however `run` ends. `run` may
 * call `mark` once a phase is done (the last byte sent, say); the first call's time is kept.
 */
export async function timeTransfer(
  bytes: number,
  run: (mark: () => void) => Promise<void>,
): Promise<Transfer> {
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let arrayBuffersPeak = process.memoryUsage().arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    arrayBuffersPeak = Math.max(arrayBuffersPeak, m.arrayBuffers);
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  sampler.unref();
  const cpu = process.cpuUsage();
  const t = performance.now();
  let markMs = -1;
  try {
    await run(() => {
      if (markMs < 0) markMs = performance.now() - t;
    });
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  sample();
  return {
    mibPerSecond: bytes / MiB / seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    rssBeforeMiB: rssBefore / MiB,
    rssPeakMiB: peak / MiB,
    arrayBuffersPeakMiB: arrayBuffersPeak / MiB,
    markMs,
  };
}

/**
 * Runs a command to its end with `stdin` and `stdout` as files (or nothing), and returns its stdout
 * when that was not a file; a non-zero exit throws with its stderr.
 */
export async function runTool(
  command: string,
  args: string[],
  files: { stdin?: string; stdout?: string } = {},
): Promise<string> {
  const stdin = files.stdin === undefined ? undefined : await open(files.stdin, "r");
  const stdout = files.stdout === undefined ? undefined : await open(files.stdout, "w");
  try {
    const child = spawn(command, args, { stdio: [stdin?.fd ?? "ignore", stdout?.fd ?? "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      err += s;
    });
    const [code] = (await once(child, "close")) as [number | null];
    if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${code}: ${err.trim()}`);
    return out;
  } finally {
    await stdin?.close();
    await stdout?.close();
  }
}

/** A file of `bytes` random bytes (from /dev/urandom by `head`, outside this process). */
export async function randomFile(path: string, bytes: number): Promise<void> {
  await runTool("head", ["-c", String(bytes), "/dev/urandom"], { stdout: path });
}

/** SHA-256 (hex) of a local file, by `sha256sum`. */
export async function fileSha256(path: string): Promise<string> {
  return (await runTool("sha256sum", [path])).split(" ")[0] ?? "";
}

/** Throws unless the local file at `path` has exactly `bytes` bytes (a transfer that fell short). */
export async function expectSize(path: string, bytes: number, what: string): Promise<void> {
  const { size } = await stat(path);
  if (size !== bytes) throw new Error(`${what}: ${path} has ${size} bytes, expected ${bytes}`);
}

/** A file on this host the benchmark moves, with what it must arrive as. */
export interface FileToMove {
  path: string;
  sha256: string;
  bytes: number;
}

/** Runs a command and reads its stdout to the end, checking the byte count and exit code. */
export async function drainStdout(sb: Sandbox, command: string[], bytes: number): Promise<void> {
  let seen = 0;
  let exitCode: number | undefined;
  for await (const ev of sb.execStream(command, { noLoginShell: true })) {
    if (ev.type === "stdout") seen += ev.data.byteLength;
    if (ev.type === "exit") exitCode = ev.exitCode;
  }
  if (seen !== bytes || exitCode !== 0)
    throw new Error(`${command.join(" ")}: read ${seen} of ${bytes} bytes, exit code ${exitCode}`);
}
