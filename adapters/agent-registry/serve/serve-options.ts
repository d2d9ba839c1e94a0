import { isIP } from "node:net";
import { InvalidArgumentError } from "openshell";
import { validateServiceToken } from "./service-token.js";

/** Options of {@link serveAdapter}. */
export interface ServeAdapterOptions {
  /** Bearer token every request must carry (at least 32 characters; see `generateServiceToken`). */
  token: string;
  /** TCP port; 0 (the default) picks a free one, which the handle reports. */
  port?: number;
  /** Loopback address to listen on: `127.0.0.1` (default), another 127.x address, `::1`, or `localhost` (as 127.0.0.1). Nothing else. */
  host?: string;
  /** Closes the service when it fires, as `close()` does. */
  signal?: AbortSignal;
  /** Largest accepted request body in bytes (default 1 MiB); larger ones answer 413. */
  maxBodyBytes?: number;
  /** An idle NDJSON stream sends an empty line this often, so proxies and clients do not time it out (default 15000). */
  heartbeatMs?: number;
  /** How long close() lets canceled calls answer before it cuts their connections (default 2000). */
  closeGraceMs?: number;
}

/** The options, checked. */
export interface ServeSettings {
  token: Buffer;
  port: number;
  host: string;
  signal: AbortSignal | undefined;
  maxBodyBytes: number;
  heartbeatMs: number;
  closeGraceMs: number;
}

/** The default largest request body: 1 MiB, far above any registry resource. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

function isLoopback(host: string): boolean {
  if (LOOPBACK_NAMES.has(host.toLowerCase())) return true;
  // The whole 127.0.0.0/8 block is loopback on every platform this runs on.
  return isIP(host) === 4 && host.startsWith("127.");
}

// `localhost` may resolve to ::1 for the listener and to 127.0.0.1 for a client (or the reverse):
// listen on, and report, an address.
function listenHost(host: string): string {
  const lower = host.toLowerCase();
  if (lower === "localhost") return "127.0.0.1";
  return lower === "[::1]" ? "::1" : host;
}

function integerIn(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`invalid ${field}: must be an integer from ${min} to ${max}`, { field });
  }
  return value;
}

/**
 * Validates serveAdapter's options. The service drives deployments with the adapter's credentials,
 * so it is local-only: a host that is not a loopback address is refused, whatever token protects it.
 */
export function parseServeOptions(options: ServeAdapterOptions): ServeSettings {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("invalid options: { token } is required", { field: "options" });
  }
  const token = validateServiceToken(options.token);
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || !isLoopback(host)) {
    throw new InvalidArgumentError(
      `invalid host: ${JSON.stringify(host)} is not a loopback address; the adapter service listens only on 127.0.0.1, ::1 or localhost (reach it from elsewhere through an SSH tunnel or a port forward)`,
      { field: "host" },
    );
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError("invalid signal: must be an AbortSignal", { field: "signal" });
  }
  return {
    token: Buffer.from(token, "utf8"),
    port: integerIn(options.port, "port", 0, 65_535, 0),
    host: listenHost(host),
    signal,
    maxBodyBytes: integerIn(
      options.maxBodyBytes,
      "maxBodyBytes",
      1,
      64 * 1024 * 1024,
      DEFAULT_MAX_BODY_BYTES,
    ),
    heartbeatMs: integerIn(options.heartbeatMs, "heartbeatMs", 10, 600_000, 15_000),
    closeGraceMs: integerIn(options.closeGraceMs, "closeGraceMs", 0, 600_000, 2000),
  };
}
