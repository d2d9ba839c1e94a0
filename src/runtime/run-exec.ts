import type { ContainerRuntime } from "./container-runtime.js";
import type { ExecResult, ExecSpec } from "./exec-types.js";

export interface RunExecSpec extends Omit<ExecSpec, "stdin"> {
  /** Bytes written to the process's stdin, which is then closed. */
  stdin?: string | Uint8Array;
}

/**
 * Runs a command to completion and returns its exit code and whole output. For output too large to
 * hold in memory, use `runtime.exec` and read `output` as it streams.
 */
export async function runExec(
  runtime: ContainerRuntime,
  containerId: string,
  spec: RunExecSpec,
): Promise<ExecResult> {
  const { stdin, ...rest } = spec;
  const process = await runtime.exec(containerId, { ...rest, stdin: stdin !== undefined });
  if (stdin !== undefined && process.stdin !== null) process.stdin.end(stdin);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  for await (const chunk of process.output) (chunk.stream === "stdout" ? stdout : stderr).push(chunk.data);
  const { exitCode } = await process.wait();
  return { exitCode, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
}
