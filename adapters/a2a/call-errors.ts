import { CanceledError, OpenShellError } from "openshell";
import { AgentCallError, AgentUnreachableError } from "./errors.js";
import { type AgentOperation, METHOD_NAMES, ProtocolMismatch } from "./protocol-clients.js";
import { rpcCodeOf } from "./rpc-code.js";

/** Network failures of undici's fetch: a TypeError whose cause is the socket's error. */
function isNetworkFailure(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return err.message === "fetch failed" || typeof cause?.code === "string";
}

/** What a failed call becomes for the caller: an OpenShellError saying what happened and what to check. */
export function toCallError(
  err: unknown,
  context: { operation: AgentOperation; where: string; port: number; signal: AbortSignal },
): OpenShellError {
  const { operation, where, port, signal } = context;
  if (signal.aborted) {
    return new CanceledError(
      `${operation} to the A2A agent on ${where}: canceled (the caller's AbortSignal fired, or the connection was closed)`,
      {
        cause: err,
      },
    );
  }
  if (err instanceof OpenShellError) return err;
  if (err instanceof ProtocolMismatch) {
    return new AgentCallError(
      `${operation} to the A2A agent on ${where}: ${err.message}. Check that port ${port} is the agent's A2A JSON-RPC port.`,
      { operation, rpcCode: rpcCodeOf(err.first), cause: err.first },
    );
  }
  if (isNetworkFailure(err)) {
    return new AgentUnreachableError(
      `${operation} to the A2A agent on ${where}: the connection was closed or reset inside the sandbox. ` +
        "Check that the agent is still running (sandbox.logs()).",
      { port, cause: err },
    );
  }
  const rpcCode = rpcCodeOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  const [current, legacy] = METHOD_NAMES[operation];
  return new AgentCallError(
    `${operation} (${current} / ${legacy}) to the A2A agent on ${where} failed: ${detail}` +
      (rpcCode === undefined ? "" : ` (JSON-RPC error ${rpcCode})`),
    { operation, rpcCode, cause: err },
  );
}
