import { Code, ConnectError } from "@connectrpc/connect";
import { OpenShellError, type OpenShellErrorCode } from "../../errors.js";

/** The gateway's status code for each SDK error the local gateway's own layers throw. */
const CODE_OF: Partial<Record<OpenShellErrorCode, Code>> = {
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  invalid_argument: Code.InvalidArgument,
  failed_precondition: Code.FailedPrecondition,
  capability_missing: Code.FailedPrecondition,
  conflict: Code.Aborted,
  resource_exhausted: Code.ResourceExhausted,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  unavailable: Code.Unavailable,
  runtime_not_found: Code.Unavailable,
  timeout: Code.DeadlineExceeded,
  canceled: Code.Canceled,
};

/**
 * What a handler throws, as the client should receive it. The store, the runtime and validation throw
 * the SDK's own errors; on the wire they become the code the real gateway would answer with, and the
 * message stays (the SDK's messages never carry secrets). Anything unexpected is INTERNAL.
 */
/**
 * The longest status message the gateway sends, in characters. A message goes out as the
 * `grpc-message` trailer, percent-encoded (up to 9 bytes a character), and HTTP/2 refuses a header
 * block over 64 KiB by failing the whole connection: a message quoting a huge input (a 300 KB name)
 * must not take every other call on that connection down with it.
 */
export const MAX_STATUS_MESSAGE_CHARS = 2048;

export function toConnectError(error: unknown): ConnectError {
  return bounded(unbounded(error));
}

function bounded(error: ConnectError): ConnectError {
  const message = error.rawMessage;
  if (message.length <= MAX_STATUS_MESSAGE_CHARS) return error;
  const cut = `${message.slice(0, MAX_STATUS_MESSAGE_CHARS - 40)}... (${message.length} characters, cut)`;
  // Details are left out: a gateway error here carries none, and they could be as long.
  return new ConnectError(cut, error.code, error.metadata, undefined, error.cause ?? error);
}

function unbounded(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof OpenShellError) {
    const code = CODE_OF[error.code];
    if (code !== undefined) return new ConnectError(error.message, code, undefined, undefined, error);
    if (error.code === "runtime") {
      return new ConnectError(
        `container runtime: ${error.message}`,
        Code.Unavailable,
        undefined,
        undefined,
        error,
      );
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectError(`local gateway: ${message}`, Code.Internal, undefined, undefined, error);
}

export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

export function failedPrecondition(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}

export function notFound(message: string): ConnectError {
  return new ConnectError(message, Code.NotFound);
}
