import { ContainerRuntimeError, type OpenShellError } from "../../../errors.js";
import type { CliContext } from "./cli-context.js";
import { classifyFailure, KIND, START_ADVICE } from "./cli-errors.js";
import { parseCliJson } from "./cli-json.js";
import { type SystemStatus, systemStatusSchema } from "./resource-json.js";

/**
 * `container system status --format json`, when the service runs. It exits 1 when it does not,
 * still printing JSON (`"status": "not running"` or `"unregistered"`); either way the error says to
 * run `container system start`.
 */
export async function readSystemStatus(
  cli: CliContext,
  signal: AbortSignal | undefined,
): Promise<SystemStatus> {
  const args = ["system", "status", "--format", "json"];
  const result = await cli.runRaw(args, { signal });
  let status: SystemStatus | undefined;
  let parseError: OpenShellError | undefined;
  try {
    status = parseCliJson(result.stdout, systemStatusSchema, cli.describe(args));
  } catch (error) {
    parseError = error as OpenShellError;
  }
  if (status?.status === "running" && result.exitCode === 0) return status;
  const output = `${result.stdout}\n${result.stderr}`;
  if (status === undefined && classifyFailure(output) !== "system-down") {
    // Not an answer about the service at all (an old CLI without --format, say).
    if (result.exitCode !== 0) throw cli.failure(args, result.exitCode, result.stderr || result.stdout);
    throw parseError;
  }
  const state =
    status?.status === "unregistered" || /not registered/i.test(output)
      ? "not registered with launchd (it was never started, or was stopped)"
      : `not running${status === undefined || status.status === "not running" ? "" : ` (status: ${status.status})`}`;
  throw new ContainerRuntimeError(`the Apple container system service is ${state}. ${START_ADVICE}`, {
    runtime: KIND,
    statusCode: result.exitCode,
  });
}

/**
 * `container system status` of CLIs before 0.10.0, which have no `--format`: they print text lines
 * (`apiserver is running`, ...) and exit 1 when the service is down.
 */
export async function readSystemStatusText(
  cli: CliContext,
  signal: AbortSignal | undefined,
): Promise<SystemStatus> {
  const result = await cli.runRaw(["system", "status"], { signal });
  if (result.exitCode === 0) return { status: "running" };
  const output = `${result.stdout}\n${result.stderr}`;
  const state = /not registered/i.test(output)
    ? "not registered with launchd (it was never started, or was stopped)"
    : "not running";
  throw new ContainerRuntimeError(`the Apple container system service is ${state}. ${START_ADVICE}`, {
    runtime: KIND,
    statusCode: result.exitCode,
  });
}
