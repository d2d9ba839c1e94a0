import { OpenShellError, type OpenShellErrorCode, ProtocolError, UnavailableError } from "openshell";

/** One entry of a problem's `errors` list (the registry's `ErrorDetail`): which input, and why. */
export interface RegistryProblemDetail {
  /** Where the offending value is (`body.spec.targetRef`, `query.limit`), when the registry says. */
  location: string | undefined;
  /** What is wrong with it. */
  message: string | undefined;
}

/** What the registry said in its `application/problem+json` answer (the registry's `ErrorModel`). */
export interface RegistryProblem {
  /** The HTTP status of the answer. */
  status: number;
  /** The problem's short summary (`Not Found`), or the HTTP status text when the body has none. */
  title: string | undefined;
  /** The registry's explanation of this occurrence (`Agent "default"/"echo" not found`). */
  detail: string | undefined;
  /** The individual input errors the registry listed, if any. */
  errors: readonly RegistryProblemDetail[];
}

/** The request a registry error is about, in the words of its messages. */
export interface RegistryRequestInfo {
  /** The registry's base URL, as the client was configured (never with credentials). */
  baseUrl: string;
  /** `GET /v0/agents/echo`: the method and path, without the query. */
  request: string;
}

function codeForStatus(status: number): OpenShellErrorCode {
  if (status === 400 || status === 422) return "invalid_argument";
  if (status === 401) return "unauthenticated";
  if (status === 403) return "permission_denied";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "resource_exhausted";
  if (status === 502 || status === 503 || status === 504) return "unavailable";
  return "internal";
}

/**
 * The agent registry answered a request with an HTTP error (its `application/problem+json`
 * `ErrorModel`). `code` follows the status: 400/422 `invalid_argument`, 401 `unauthenticated`, 403
 * `permission_denied`, 404 `not_found` (a {@link RegistryNotFoundError}), 409 `conflict`, 429
 * `resource_exhausted`, 502/503/504 `unavailable`, anything else `internal`.
 */
export class RegistryError extends OpenShellError {
  /** The HTTP status the registry answered with. */
  readonly status: number;
  /** The problem's title, or the HTTP status text when the registry sent none. */
  readonly title: string | undefined;
  /** The registry's explanation, when it gave one. */
  readonly detail: string | undefined;
  /** The input errors the registry listed. */
  readonly problems: readonly RegistryProblemDetail[];
  /** The registry's base URL. */
  readonly baseUrl: string;
  /** `GET /v0/...`: which request failed. */
  readonly request: string;

  constructor(message: string, options: RegistryRequestInfo & { problem: RegistryProblem; cause?: unknown }) {
    super(
      codeForStatus(options.problem.status),
      message,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.status = options.problem.status;
    this.title = options.problem.title;
    this.detail = options.problem.detail;
    this.problems = options.problem.errors;
    this.baseUrl = options.baseUrl;
    this.request = options.request;
  }
}

/** What a registry resource is called: its kind, name, and (when asked for) tag and namespace. */
export interface RegistryResourceId {
  kind: "Agent" | "Model" | "Runtime" | "Deployment";
  name: string;
  tag: string | undefined;
  namespace: string | undefined;
}

/**
 * The registry has no such resource (HTTP 404). `resource` names what was asked for; check the
 * name, the tag (Agents and Models) and the namespace (the registry's default namespace is `default`).
 */
export class RegistryNotFoundError extends RegistryError {
  /** The resource that was asked for. */
  readonly resource: RegistryResourceId;

  constructor(
    message: string,
    options: RegistryRequestInfo & { problem: RegistryProblem; resource: RegistryResourceId },
  ) {
    super(message, options);
    this.resource = options.resource;
  }
}

/**
 * Nothing answered at the registry's address: the connection was refused or reset, or the host
 * name does not resolve. `baseUrl` is where the client looked (option `baseUrl`, else
 * `ARCTL_API_BASE_URL`, else `http://localhost:12121`).
 */
export class RegistryUnreachableError extends UnavailableError {
  /** Where the client looked for the registry. */
  readonly baseUrl: string;

  constructor(message: string, options: { baseUrl: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.baseUrl = options.baseUrl;
  }
}

/**
 * The registry answered with a success status but its body is not what its API promises: not JSON,
 * or a resource that fails validation. `field` is the dotted path of the first offending field
 * (`spec.targetRef.kind`, `items.2.metadata.name`), when the body is JSON.
 */
export class RegistryResponseError extends ProtocolError {
  /** The dotted path of the first invalid field, when the body was JSON. */
  readonly field: string | undefined;
  /** The registry's base URL. */
  readonly baseUrl: string;
  /** `GET /v0/...`: which request got the answer. */
  readonly request: string;

  constructor(message: string, options: RegistryRequestInfo & { field?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
    this.baseUrl = options.baseUrl;
    this.request = options.request;
  }
}
