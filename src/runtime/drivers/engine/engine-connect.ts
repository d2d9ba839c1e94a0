import { OpenShellError, TimeoutError, TlsError, UnavailableError } from "../../../errors.js";
import { pingFailure } from "../../detection/ping-failure.js";
import { describeEndpoint, type EngineEndpoint } from "../../engine-endpoint.js";
import type { EngineContext } from "./engine-context.js";

/**
 * A connect that failed before the engine said anything (no socket, refused, a TLS problem), told
 * the way detection tells it: the endpoint, what went wrong with its system code, and what to do.
 * Undefined for anything else (the engine answered with an error; the caller aborted).
 */
function unreachable(
  kind: string,
  endpoint: EngineEndpoint,
  error: unknown,
): UnavailableError | TlsError | TimeoutError | undefined {
  const e = error as { statusCode?: unknown; code?: unknown; name?: unknown } | undefined;
  if (error instanceof OpenShellError || e?.statusCode !== undefined || typeof e?.code !== "string")
    return undefined;
  if (e.name === "AbortError" || e.code === "ABORT_ERR") return undefined;
  const failure = pingFailure(endpoint, error, { handshakeDone: false });
  const reason = failure.message.slice(`${describeEndpoint(endpoint)}: `.length);
  const message =
    `connect: cannot reach the ${kind} engine at ${describeEndpoint(endpoint)}: ${reason}. ` +
    "Start the engine there, or connect to one that runs (createRuntime() finds one).";
  if (failure instanceof TlsError) return new TlsError(message, { cause: error });
  if (failure instanceof TimeoutError) return new TimeoutError(message, { cause: error });
  return new UnavailableError(message, { cause: error });
}

/**
 * Runs a driver's first call to its engine (reading what it can do). When the engine cannot be
 * reached, the error says where, why ([ENOENT], [ECONNREFUSED], TLS) and what to do; other failures
 * are mapped as every engine call's are.
 */
export async function connectCall<T>(
  engine: EngineContext,
  endpoint: EngineEndpoint,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw unreachable(engine.kind, endpoint, error) ?? engine.error(error, "connect");
  }
}
