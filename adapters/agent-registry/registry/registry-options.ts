import { InvalidArgumentError } from "openshell";
import { z } from "zod";

/** The registry's address when neither the `baseUrl` option nor `ARCTL_API_BASE_URL` names one. */
export const DEFAULT_REGISTRY_URL = "http://localhost:12121";

/** How long one request may take, when neither the call nor the client says. */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 30_000;

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /**
   * The registry's address, with or without its `/v0` API prefix (`http://localhost:12121`,
   * `https://registry.example.com/v0`); a bare `host:port` means `http://`. Default: the
   * `ARCTL_API_BASE_URL` environment variable, else `http://localhost:12121`, as `arctl` does.
   */
  baseUrl?: string;
  /**
   * The registry's bearer token. Default: `ARCTL_API_TOKEN`. Sent as `Authorization: Bearer` only
   * when set; never shown in errors, `toString()` or `util.inspect`.
   */
  token?: string;
  /** Default deadline of each request, in milliseconds (default 30000); a call's `timeoutMs` wins. */
  timeoutMs?: number;
  /** The `fetch` to use (default: the global one), for proxies, tracing or tests. */
  fetch?: typeof fetch;
  /** Where `ARCTL_API_BASE_URL` and `ARCTL_API_TOKEN` are read from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What every registry call accepts. */
export interface RegistryRequestOptions {
  /** Cancels the request; it then rejects with `CanceledError`. */
  signal?: AbortSignal;
  /** Deadline of this request in milliseconds; past it the call rejects with `TimeoutError`. */
  timeoutMs?: number;
}

/** The client's settings once resolved: the token is kept apart, by the client, never in here. */
export interface ResolvedRegistryOptions {
  /** `http(s)://host[:port][/path]` without a trailing slash or `/v0`: the API is at `${baseUrl}/v0`. */
  baseUrl: string;
  token: string | undefined;
  timeoutMs: number;
  fetch: typeof fetch;
}

// Node's timers (AbortSignal.timeout) fire at once, with only a warning, past 2^31-1 ms (24.8 days).
const MAX_TIMEOUT_MS = 2_147_483_647;

/** A deadline in milliseconds that Node's timers honour. */
export const timeoutMsSchema = z
  .number()
  .int("must be a whole number of milliseconds")
  .positive("must be positive")
  .max(MAX_TIMEOUT_MS, `must be at most ${MAX_TIMEOUT_MS} (Node's longest timer)`);

const optionsSchema = z
  .object({
    baseUrl: z.string().optional(),
    token: z.string().optional(),
    timeoutMs: timeoutMsSchema.optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === "function", "must be a function").optional(),
    env: z.record(z.string(), z.string().optional()).optional(),
  })
  .strict();

/** Fills in the defaults of {@link RegistryClientOptions} and checks the registry's address. */
export function resolveRegistryOptions(options: RegistryClientOptions = {}): ResolvedRegistryOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "options";
    // The message never quotes the value: it may be the token.
    throw new InvalidArgumentError(`RegistryClient options: ${field}: ${issue?.message ?? "invalid"}`, {
      field,
    });
  }
  const env = parsed.data.env ?? process.env;
  const fromOption = nonEmpty(parsed.data.baseUrl);
  const raw = fromOption ?? nonEmpty(env.ARCTL_API_BASE_URL) ?? DEFAULT_REGISTRY_URL;
  const field = fromOption === undefined ? "ARCTL_API_BASE_URL" : "baseUrl";
  return {
    baseUrl: normalizeBaseUrl(raw, field),
    token: nonEmpty(parsed.data.token) ?? nonEmpty(env.ARCTL_API_TOKEN),
    timeoutMs: parsed.data.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS,
    // Looked up at each call, not now: instrumentation (and test doubles) may replace it later.
    fetch: parsed.data.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

// arctl accepts the address with or without its /v0 prefix, and without a scheme (then http);
// the client keeps the address without /v0 and adds it to every path.
function normalizeBaseUrl(raw: string, field: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalidUrl(field, "it is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidUrl(field, `the scheme must be http or https, not ${url.protocol.slice(0, -1)}`);
  }
  // Credentials in the address would be printed in every error that names it.
  if (url.username !== "" || url.password !== "") {
    throw invalidUrl(
      field,
      "it must not contain credentials; pass the token as the token option or ARCTL_API_TOKEN",
    );
  }
  if (url.search !== "" || url.hash !== "") throw invalidUrl(field, "it must not have a query or fragment");
  const path = url.pathname.replace(/\/+$/, "").replace(/\/v0$/, "");
  return `${url.origin}${path}`;
}

function invalidUrl(field: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `the agent registry's address (${field}) is not usable: ${why}. ` +
      "Give it as http(s)://host:port, for example http://localhost:12121.",
    { field },
  );
}
