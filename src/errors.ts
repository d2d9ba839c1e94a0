/**
 * Every error the SDK throws is an {@link OpenShellError} with a stable {@link OpenShellError.code}.
 * Branch on `code` (or `instanceof` a subclass), never on message text: messages say what went wrong
 * and what to do next, and may improve between releases.
 *
 * Messages never contain credentials, tokens or key material.
 */

/** Stable machine-readable codes, one per error class. */
export type OpenShellErrorCode =
  | "not_found"
  | "already_exists"
  | "invalid_argument"
  | "failed_precondition"
  | "conflict"
  | "resource_exhausted"
  | "unauthenticated"
  | "permission_denied"
  | "unavailable"
  | "tls"
  | "timeout"
  | "canceled"
  | "protocol"
  | "internal"
  | "sandbox_failed"
  | "gateway_config"
  | "runtime_not_found"
  | "capability_missing"
  | "runtime";

export interface OpenShellErrorOptions {
  /** The lower-level error, kept for debugging (never printed by `toString()`). */
  cause?: unknown;
  /** The gRPC status code name, when the error came from the gateway (`"NOT_FOUND"`, ...). */
  grpcCode?: string;
}

/** Base class of every error thrown by this SDK. */
export class OpenShellError extends Error {
  readonly code: OpenShellErrorCode;
  /** The gRPC status code name when the gateway answered with an error. */
  readonly grpcCode: string | undefined;

  constructor(code: OpenShellErrorCode, message: string, options: OpenShellErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.grpcCode = options.grpcCode;
    this.name = new.target.name;
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

/** The named object (sandbox, provider, route, ...) does not exist, or is not visible to you. */
export class NotFoundError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("not_found", message, options);
  }
}

/** An object with that name already exists. */
export class AlreadyExistsError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("already_exists", message, options);
  }
}

/** An input was rejected, by the SDK's validation (then `field` names it) or by the gateway. */
export class InvalidArgumentError extends OpenShellError {
  /** Dotted path of the offending input field, when known (`"env.1FOO"`, `"name"`). */
  readonly field: string | undefined;

  constructor(message: string, options: OpenShellErrorOptions & { field?: string } = {}) {
    super("invalid_argument", message, options);
    this.field = options.field;
  }
}

/** The call is valid but the object is not in a state that allows it (e.g. exec before READY). */
export class FailedPreconditionError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("failed_precondition", message, options);
  }
}

/** An optimistic-concurrency check failed: the object changed since you read it (gRPC ABORTED). */
export class ConflictError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("conflict", message, options);
  }
}

/** A limit was hit (concurrent forward connections, quotas). */
export class ResourceExhaustedError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("resource_exhausted", message, options);
  }
}

/** The gateway did not accept the credentials (missing, expired or wrong token). */
export class UnauthenticatedError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("unauthenticated", message, options);
  }
}

/** The credentials are valid but do not allow this call. */
export class PermissionDeniedError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("permission_denied", message, options);
  }
}

/** The gateway could not be reached, or dropped the connection. Idempotent calls were already retried. */
export class UnavailableError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("unavailable", message, options);
  }
}

/** The TLS handshake failed: wrong CA, missing or rejected client certificate, expired certificate. */
export class TlsError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("tls", message, options);
  }
}

/** A deadline passed: a call's `timeoutMs`, a stream's handshake or idle timeout, or `ready()`. */
export class TimeoutError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("timeout", message, options);
  }
}

/** The caller's `AbortSignal` fired. */
export class CanceledError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("canceled", message, options);
  }
}

/** The gateway broke the protocol: a stream ended without its final event, a required field was empty. */
export class ProtocolError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("protocol", message, options);
  }
}

/** The gateway failed internally, or answered with a code the SDK does not map. */
export class InternalError extends OpenShellError {
  constructor(message: string, options?: OpenShellErrorOptions) {
    super("internal", message, options);
  }
}

/** Details of a sandbox that reached a failed state. */
export interface SandboxFailure {
  sandboxName: string;
  /** The phase it was in (`"error"`, `"deleted"`, ...). */
  phase: string;
  /** Machine-readable reason from the gateway (`"MainProcessExited"`, `"ImagePullBackOff"`, ...). */
  reason: string | undefined;
  /** Human-readable detail from the gateway. */
  detail: string | undefined;
  /** Exit code of the main process, when it exited (128 + signal for signals). */
  exitCode: number | undefined;
}

/** The sandbox failed (or vanished) while you were waiting for it. */
export class SandboxFailedError extends OpenShellError {
  readonly sandboxName: string;
  readonly phase: string;
  readonly reason: string | undefined;
  readonly detail: string | undefined;
  readonly exitCode: number | undefined;

  constructor(failure: SandboxFailure, options?: OpenShellErrorOptions) {
    const parts = [`sandbox "${failure.sandboxName}" is ${failure.phase}`];
    if (failure.reason) parts.push(`reason ${failure.reason}`);
    if (failure.exitCode !== undefined) parts.push(`exit code ${failure.exitCode}`);
    const detail = failure.detail ? `: ${failure.detail}` : "";
    super(
      "sandbox_failed",
      `${parts.join(", ")}${detail}. Read its logs with sandbox.logs() to see why.`,
      options,
    );
    this.sandboxName = failure.sandboxName;
    this.phase = failure.phase;
    this.reason = failure.reason;
    this.detail = failure.detail;
    this.exitCode = failure.exitCode;
  }
}

/** Gateway discovery or configuration is wrong: which file or variable, and what is wrong with it. */
export class GatewayConfigError extends OpenShellError {
  /** The file path or environment variable at fault, when there is one. */
  readonly source: string | undefined;

  constructor(message: string, options: OpenShellErrorOptions & { source?: string } = {}) {
    super("gateway_config", message, options);
    this.source = options.source;
  }
}

/** One place the runtime detection looked, and why it was not used. */
export interface RuntimeProbe {
  /** Which runtime the place would have been (`"docker"`, `"podman"`, `"apple-container"`). */
  readonly runtime: string;
  /** Where: a socket path, URL or command, and the rule that proposed it (`DOCKER_HOST`, ...). */
  readonly location: string;
  readonly source: string;
  /** Why it was not used: the connection error or the answer that did not fit. */
  readonly reason: string;
}

/** No container runtime answered. `probes` lists every place looked at and why each failed. */
export class RuntimeNotFoundError extends OpenShellError {
  readonly probes: readonly RuntimeProbe[];

  constructor(message: string, options: OpenShellErrorOptions & { probes?: readonly RuntimeProbe[] } = {}) {
    super("runtime_not_found", message, options);
    this.probes = options.probes ?? [];
  }
}

/**
 * The selected runtime cannot do what was asked (GPUs on Apple `container`, for example). Thrown
 * before anything is created; `missing` names every capability that is lacking, not just the first.
 */
export class CapabilityError extends OpenShellError {
  readonly runtime: string;
  readonly missing: readonly string[];

  constructor(
    message: string,
    options: OpenShellErrorOptions & { runtime: string; missing: readonly string[] },
  ) {
    super("capability_missing", message, options);
    this.runtime = options.runtime;
    this.missing = options.missing;
  }
}

/**
 * A container engine refused or failed a request that has no more specific class. `statusCode` is
 * the engine's HTTP status (Docker, Podman) or the CLI's exit code (Apple `container`).
 */
export class ContainerRuntimeError extends OpenShellError {
  readonly runtime: string;
  readonly statusCode: number | undefined;

  constructor(message: string, options: OpenShellErrorOptions & { runtime: string; statusCode?: number }) {
    super("runtime", message, options);
    this.runtime = options.runtime;
    this.statusCode = options.statusCode;
  }
}
