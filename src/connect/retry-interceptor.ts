import { setTimeout } from "node:timers/promises";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import pRetry, { AbortError } from "p-retry";
import { isTlsFailure } from "./error-mapping.js";

/** How idempotent unary calls retry when the gateway is UNAVAILABLE. */
export interface RetryOptions {
  /** Attempts after the first. Default 3; 0 disables retries. */
  retries: number;
  /** First backoff delay. Default 100 ms; doubles each attempt with jitter. */
  minDelayMs: number;
  /** Longest backoff delay. Default 2 s. */
  maxDelayMs: number;
}

export const defaultRetryOptions: RetryOptions = { retries: 3, minDelayMs: 100, maxDelayMs: 2_000 };

/**
 * The read-only calls: repeating them cannot change anything on the gateway. Mutations are never
 * retried, since a mutation that reached the gateway before the connection dropped would run twice.
 */
const idempotentMethods = new Set([
  "Health",
  "GetGatewayInfo",
  "GetSandbox",
  "ListSandboxes",
  "GetSandboxLogs",
  "GetProvider",
  "ListProviders",
  "ListSandboxProviders",
  "GetSandboxConfig",
  "GetSandboxPolicyStatus",
  "ListSandboxPolicies",
  "GetInferenceRoute",
]);

/** Retries idempotent unary calls on UNAVAILABLE with exponential backoff; nothing else. */
export function retryInterceptor(options: RetryOptions): Interceptor {
  return (next) => async (req) => {
    if (options.retries <= 0 || req.stream || !idempotentMethods.has(req.method.name)) return next(req);
    // The first attempt runs bare: the common case pays nothing for the retry machinery.
    try {
      return await next(req);
    } catch (err) {
      if (!isRetryable(err)) throw err;
    }
    await setTimeout(options.minDelayMs, undefined, { signal: req.signal }).catch(() => undefined);
    return pRetry(
      async () => {
        try {
          return await next(req);
        } catch (err) {
          throw isRetryable(err) ? ConnectError.from(err) : new AbortError(ConnectError.from(err));
        }
      },
      {
        retries: options.retries - 1,
        minTimeout: options.minDelayMs,
        maxTimeout: options.maxDelayMs,
        randomize: true,
        signal: req.signal,
      },
    );
  };
}

/** UNAVAILABLE, unless it is a TLS failure: that surfaces as UNAVAILABLE but fails the same way every time. */
function isRetryable(err: unknown): boolean {
  return ConnectError.from(err).code === Code.Unavailable && !isTlsFailure(err);
}
