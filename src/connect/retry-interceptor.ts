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
    return pRetry(
      async () => {
        try {
          return await next(req);
        } catch (err) {
          const ce = ConnectError.from(err);
          // A TLS failure surfaces as UNAVAILABLE but fails the same way every time.
          if (ce.code !== Code.Unavailable || isTlsFailure(err)) throw new AbortError(ce);
          throw ce;
        }
      },
      {
        retries: options.retries,
        minTimeout: options.minDelayMs,
        maxTimeout: options.maxDelayMs,
        randomize: true,
        signal: req.signal,
      },
    );
  };
}
