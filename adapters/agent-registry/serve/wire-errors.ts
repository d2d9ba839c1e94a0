import {
  AlreadyExistsError,
  CanceledError,
  ConflictError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  OpenShellError,
  type OpenShellErrorCode,
  PermissionDeniedError,
  ProtocolError,
  ResourceExhaustedError,
  TimeoutError,
  UnauthenticatedError,
  UnavailableError,
} from "openshell";

/** The one error shape of every non-2xx answer, and of an NDJSON stream's last line when it fails. */
export interface WireErrorBody {
  error: {
    /** An {@link OpenShellErrorCode} (`invalid_argument`, `not_found`, ...). */
    code: string;
    /** What went wrong and what to do next; never a stack, a token or a lower-level message. */
    message: string;
    /** The offending input field, for `invalid_argument` when known (`deployment.metadata.name`). */
    field?: string;
  };
}

/** HTTP 499, as nginx names it: the client closed the request (its call was canceled). */
export const STATUS_CANCELED = 499;

// HTTP status by error code. Codes not listed answer 500 with their code, so a client still learns
// what class of failure it was (a gateway's `unauthenticated` must not look like this service's 401).
const STATUS_BY_CODE: Partial<Record<OpenShellErrorCode, number>> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  failed_precondition: 409,
  resource_exhausted: 429,
  canceled: STATUS_CANCELED,
  unavailable: 503,
  timeout: 504,
};

/** A failure of this service itself (bad request, unknown route), with its own status. */
export class ServiceProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: OpenShellErrorCode,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The status and body answering `err`. An OpenShellError keeps its code, message and field (the
 * SDK's messages are written for people and hold no secrets); anything else is an internal error
 * whose details stay in this process.
 */
export function wireError(err: unknown): { status: number; body: WireErrorBody } {
  if (err instanceof ServiceProblem) {
    return { status: err.status, body: errorBody(err.code, err.message, err.field) };
  }
  if (err instanceof OpenShellError) {
    const field = err instanceof InvalidArgumentError ? err.field : undefined;
    return { status: STATUS_BY_CODE[err.code] ?? 500, body: errorBody(err.code, err.message, field) };
  }
  return {
    status: 500,
    body: errorBody("internal", "the adapter failed unexpectedly; its service's process has the details"),
  };
}

function errorBody(code: string, message: string, field?: string): WireErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

type ErrorFactory = (message: string) => OpenShellError;

const CLASS_BY_CODE: Partial<Record<string, ErrorFactory>> = {
  not_found: (m) => new NotFoundError(m),
  already_exists: (m) => new AlreadyExistsError(m),
  failed_precondition: (m) => new FailedPreconditionError(m),
  conflict: (m) => new ConflictError(m),
  resource_exhausted: (m) => new ResourceExhaustedError(m),
  unauthenticated: (m) => new UnauthenticatedError(m),
  permission_denied: (m) => new PermissionDeniedError(m),
  unavailable: (m) => new UnavailableError(m),
  timeout: (m) => new TimeoutError(m),
  canceled: (m) => new CanceledError(m),
  protocol: (m) => new ProtocolError(m),
  internal: (m) => new InternalError(m),
};

function isWireErrorBody(value: unknown): value is WireErrorBody {
  const error = (value as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof error.code === "string" &&
    typeof error.message === "string" &&
    (error.field === undefined || typeof error.field === "string")
  );
}

/**
 * The OpenShellError a client throws for an error answer: the class of its code (InvalidArgumentError
 * with its `field`, NotFoundError, ...), or a ProtocolError when the answer is not the error shape.
 */
export function errorFromWire(status: number, value: unknown, where: string): OpenShellError {
  if (!isWireErrorBody(value)) {
    return new ProtocolError(
      `${where}: the adapter service answered HTTP ${status} without its error shape; check that the URL is an adapter service (serveAdapter)`,
    );
  }
  const { code, message, field } = value.error;
  if (code === "invalid_argument") return new InvalidArgumentError(message, { field });
  const factory = CLASS_BY_CODE[code];
  return factory ? factory(message) : new OpenShellError(code as OpenShellErrorCode, message);
}

/** True when `value` is an NDJSON stream's error line rather than an item. */
export function isErrorLine(value: unknown): value is WireErrorBody {
  return isWireErrorBody(value);
}
