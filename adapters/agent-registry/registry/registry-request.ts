import { CanceledError, TimeoutError } from "openshell";
import type { z } from "zod";
import {
  RegistryError,
  RegistryNotFoundError,
  type RegistryProblem,
  type RegistryProblemDetail,
  type RegistryResourceId,
  RegistryResponseError,
  RegistryUnreachableError,
} from "./errors.js";
import type { ResolvedRegistryOptions } from "./registry-options.js";

/** One GET of the registry's API. */
export interface RegistryGet {
  /** The path under the base URL, its segments already encoded (`/v0/agents/a%2Fb`). */
  path: string;
  query?: URLSearchParams;
  /** What the path names, for a 404's error. */
  resource?: RegistryResourceId;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** Where a request went, in the words of the errors about it. */
export interface RequestContext {
  baseUrl: string;
  request: string;
  redact: (text: string) => string;
}

const ENV_HINT = "check that it is running and that ARCTL_API_BASE_URL (or the baseUrl option) points at it";

/**
 * GETs `call.path` from the registry and returns its JSON body and where it came from. HTTP errors
 * become {@link RegistryError}s; a refused or reset connection a {@link RegistryUnreachableError};
 * the deadline a `TimeoutError`; the caller's signal a `CanceledError`.
 */
export async function registryGet(
  settings: ResolvedRegistryOptions,
  token: string | undefined,
  call: RegistryGet,
): Promise<{ body: unknown; context: RequestContext }> {
  const { baseUrl } = settings;
  const context: RequestContext = {
    baseUrl,
    request: `GET ${call.path}`,
    redact: (text) => (token === undefined ? text : text.split(token).join("[redacted]")),
  };
  const where = `the agent registry at ${baseUrl}`;
  if (call.signal?.aborted) {
    throw new CanceledError(
      `${context.request} to ${where}: canceled by the caller's AbortSignal before it started`,
    );
  }
  const timeoutMs = call.timeoutMs ?? settings.timeoutMs;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = call.signal === undefined ? deadline : AbortSignal.any([call.signal, deadline]);
  const url = new URL(`${baseUrl}${call.path}`);
  if (call.query !== undefined) url.search = call.query.toString();
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  let text: string;
  try {
    response = await settings.fetch(url, { method: "GET", headers, signal });
    text = await response.text();
  } catch (err) {
    if (call.signal?.aborted) {
      throw new CanceledError(`${context.request} to ${where}: canceled by the caller's AbortSignal`, {
        cause: err,
      });
    }
    if (deadline.aborted) {
      throw new TimeoutError(
        `${where} did not answer ${context.request} within ${timeoutMs} ms: ${ENV_HINT}, ` +
          "or give the call a longer timeoutMs.",
        { cause: err },
      );
    }
    throw new RegistryUnreachableError(
      `${where} is unreachable (${context.redact(networkReason(err))}): ${ENV_HINT}.`,
      { baseUrl, cause: err },
    );
  }
  if (!response.ok) throw httpError(response, text, call, context, token !== undefined);
  try {
    return { body: JSON.parse(text), context };
  } catch (err) {
    throw new RegistryResponseError(
      `${where} answered ${context.request} with HTTP ${response.status} but not JSON ` +
        `(it starts with ${JSON.stringify(context.redact(text.slice(0, 60)))}): ` +
        "check that ARCTL_API_BASE_URL (or the baseUrl option) points at an agent registry.",
      { baseUrl, request: context.request, cause: err },
    );
  }
}

/**
 * Parses `value` with `schema`, or throws a {@link RegistryResponseError} naming the first invalid
 * field of what the registry sent (`spec.targetRef.kind`).
 */
export function validateAnswer<S extends z.ZodType>(
  schema: S,
  value: unknown,
  context: RequestContext,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = (issue?.path ?? []).map(String).join(".");
  throw new RegistryResponseError(
    `the agent registry at ${context.baseUrl} answered ${context.request} with ${what} that is not valid: ` +
      `${field === "" ? "the body" : field}: ${context.redact(issue?.message ?? "invalid")}. ` +
      "Check that ARCTL_API_BASE_URL (or the baseUrl option) points at an agent registry that serves the " +
      "ar.dev/v1alpha1 API.",
    { baseUrl: context.baseUrl, request: context.request, ...(field === "" ? {} : { field }) },
  );
}

// undici reports the reason in `cause` (ECONNREFUSED, ENOTFOUND, ...): name it, not "fetch failed".
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${cause.message}` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}

function httpError(
  response: Response,
  text: string,
  call: RegistryGet,
  context: RequestContext,
  tokenSent: boolean,
): RegistryError {
  const problem = readProblem(response, text, context);
  const info = { baseUrl: context.baseUrl, request: context.request, problem };
  const said = [problem.detail, ...problem.errors.map(describeDetail)].filter((part) => part !== undefined);
  const status = `HTTP ${problem.status}${problem.title === undefined ? "" : ` ${problem.title}`}`;
  const answer = said.length === 0 ? status : `${status}: ${said.join("; ")}`;
  if (problem.status === 404 && call.resource !== undefined) {
    const resource = call.resource;
    return new RegistryNotFoundError(
      `the agent registry at ${context.baseUrl} has no ${describeResource(resource)} (${answer}). ` +
        `Check the ${resource.kind === "Agent" || resource.kind === "Model" ? "name, the tag" : "name"} and the ` +
        "namespace (the registry's default is default); if nothing is ever found, check that " +
        "ARCTL_API_BASE_URL (or the baseUrl option) points at the agent registry.",
      { ...info, resource },
    );
  }
  return new RegistryError(
    `the agent registry at ${context.baseUrl} answered ${context.request} with ${answer}. ${hint(problem.status, tokenSent)}`,
    info,
  );
}

function hint(status: number, tokenSent: boolean): string {
  if (status === 401) {
    return tokenSent
      ? "The registry refused the token: set ARCTL_API_TOKEN (or the token option) to a valid one."
      : "No token was sent: set ARCTL_API_TOKEN (or the token option) to a registry token.";
  }
  if (status === 403)
    return "The token may not read this: ask the registry's administrator for a role that can.";
  if (status === 404)
    return "Check that ARCTL_API_BASE_URL (or the baseUrl option) points at an agent registry.";
  if (status === 400 || status === 422) return "The registry refused the request's parameters (see above).";
  if (status === 429) return "The registry is limiting requests: wait, then try again.";
  if (status >= 500) return "The registry failed: try again, and read the registry's own logs.";
  return "See the registry's answer above.";
}

function describeResource(resource: RegistryResourceId): string {
  const tag = resource.tag === undefined ? "" : ` tag ${JSON.stringify(resource.tag)}`;
  const namespace =
    resource.namespace === undefined ? "" : ` in namespace ${JSON.stringify(resource.namespace)}`;
  return `${resource.kind} ${JSON.stringify(resource.name)}${tag}${namespace}`;
}

function describeDetail(detail: RegistryProblemDetail): string | undefined {
  if (detail.message === undefined) return undefined;
  return detail.location === undefined ? detail.message : `${detail.location}: ${detail.message}`;
}

// The registry's ErrorModel (huma's RFC 9457 problem). Read leniently: an error from a proxy in
// front of the registry is not JSON at all, and its status must still reach the caller.
function readProblem(response: Response, text: string, context: RequestContext): RegistryProblem {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const statusText = response.statusText === "" ? undefined : response.statusText;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    const snippet = context.redact(text.trim().slice(0, 200));
    return {
      status: response.status,
      title: statusText,
      detail: snippet === "" ? undefined : snippet,
      errors: [],
    };
  }
  const record = body as Record<string, unknown>;
  const text_ = (value: unknown) =>
    typeof value === "string" && value !== "" ? context.redact(value) : undefined;
  const errors = Array.isArray(record.errors)
    ? record.errors
        .filter((entry): entry is Record<string, unknown> => typeof entry === "object" && entry !== null)
        .map((entry) => ({ location: text_(entry.location), message: text_(entry.message) }))
    : [];
  return {
    status: response.status,
    title: text_(record.title) ?? statusText,
    detail: text_(record.detail),
    errors,
  };
}
