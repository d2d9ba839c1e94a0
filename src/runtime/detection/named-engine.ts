import { CanceledError, RuntimeNotFoundError, type RuntimeProbe } from "../../errors.js";
import { describeEndpoint, type EngineEndpoint } from "../engine-endpoint.js";
import type { EngineKind } from "./engine-candidate.js";
import { DEFAULT_PING_TIMEOUT_MS, type PingFunction, pingEngine } from "./engine-ping.js";
import { ENDPOINT_OPTION_SOURCE, unavailableSettingMessage } from "./unavailable-setting-message.js";

/** The reason without the endpoint prefix the ping's messages carry (the probe line shows it). */
export function reasonOf(err: unknown, endpoint: EngineEndpoint): string {
  const message = err instanceof Error ? err.message : String(err);
  const prefix = `${describeEndpoint(endpoint)}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

export interface NamedEngineOptions {
  /** The API dialect the caller will speak to it; named in the error. */
  kind: EngineKind;
  signal?: AbortSignal;
  /** Default {@link DEFAULT_PING_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Stand-in for {@link pingEngine}, for tests. */
  ping?: PingFunction;
}

/**
 * Checks that the engine at an endpoint the caller gave explicitly (createRuntime's `endpoint`)
 * answers, so a wrong endpoint fails here with where, what went wrong and what to do, rather than
 * at the first engine call. ssh:// endpoints are not pinged: the driver's connect reports those.
 *
 * @throws RuntimeNotFoundError with one probe, sourced `option endpoint`.
 * @throws CanceledError when `signal` fires.
 */
export async function requireNamedEngine(
  endpoint: EngineEndpoint,
  options: NamedEngineOptions,
): Promise<void> {
  if (endpoint.kind === "ssh") return;
  const ping = options.ping ?? pingEngine;
  try {
    await ping(endpoint, {
      timeoutMs: options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (error instanceof CanceledError) throw error;
    const probe: RuntimeProbe = {
      runtime: options.kind,
      location: describeEndpoint(endpoint),
      source: ENDPOINT_OPTION_SOURCE,
      reason: reasonOf(error, endpoint),
    };
    throw new RuntimeNotFoundError(unavailableSettingMessage({ probe, kind: options.kind, broken: false }), {
      probes: [probe],
      cause: error,
    });
  }
}
