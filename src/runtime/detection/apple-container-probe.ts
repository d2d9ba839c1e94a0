import { CanceledError, TimeoutError } from "../../errors.js";
import type { CommandRunner, RunResult } from "../process/command-runner.js";

/** The Apple `container` CLI answers slower than a socket: it may wake its XPC API server first. */
export const APPLE_STATUS_TIMEOUT_MS = 5_000;

export const APPLE_CONTAINER_COMMAND = "container";

export interface AppleProbeOptions {
  platform: NodeJS.Platform;
  runner: CommandRunner;
  /** The CLI to run; default `container` from PATH. */
  command?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type AppleProbeResult = { ok: true; command: string } | { ok: false; command: string; reason: string };

const startHint = "start it with `container system start`";

/** The first line of what the CLI printed, short enough for a one-line reason. */
function firstLine(text: string): string {
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** `{ "status": "running" }` from `--format json`; older CLIs print prose, which is read as a fallback. */
function statusOf(result: RunResult): string | undefined {
  try {
    const parsed: unknown = JSON.parse(result.stdout);
    const status = (parsed as { status?: unknown } | null)?.status;
    if (typeof status === "string") return status.trim().toLowerCase();
  } catch {
    // Not JSON: look for the words instead.
  }
  const text = `${result.stdout}\n${result.stderr}`.toLowerCase();
  if (text.includes("unregistered")) return "unregistered";
  if (text.includes("not running")) return "not running";
  if (/\bis running\b/.test(text)) return "running";
  return undefined;
}

/**
 * Asks `container system status --format json` whether Apple's container API server runs. Only on
 * macOS: the CLI exists nowhere else.
 */
export async function probeAppleContainer(options: AppleProbeOptions): Promise<AppleProbeResult> {
  const command = options.command ?? APPLE_CONTAINER_COMMAND;
  const fail = (reason: string): AppleProbeResult => ({ ok: false, command, reason });
  if (options.platform !== "darwin") {
    return fail(`Apple container runs only on macOS (this is ${options.platform})`);
  }
  let result: RunResult;
  try {
    result = await options.runner.run(command, ["system", "status", "--format", "json"], {
      timeoutMs: options.timeoutMs ?? APPLE_STATUS_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (err instanceof TimeoutError) {
      return fail(`\`${command} system status\` did not finish (killed after the timeout)`);
    }
    if (err instanceof CanceledError) return fail(`\`${command} system status\` was canceled`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      return fail(
        `\`${command}\` is not on PATH; install Apple container (https://github.com/apple/container)`,
      );
    }
    return fail(`cannot run \`${command}\`: ${(err as Error).message}`);
  }
  const status = statusOf(result);
  if (result.exitCode === 0 && status === "running") return { ok: true, command };
  if (status !== undefined && status !== "running") {
    return fail(`the container system service is ${status} (exit code ${result.exitCode}); ${startHint}`);
  }
  const said = firstLine(result.stderr) || firstLine(result.stdout) || "no output";
  if (result.exitCode === 0) return fail(`unexpected status answer: ${said}`);
  return fail(`\`${command} system status\` failed with exit code ${result.exitCode}: ${said}`);
}
