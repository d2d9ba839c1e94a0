import {
  AlreadyExistsError,
  CanceledError,
  ContainerRuntimeError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  OpenShellError,
  UnavailableError,
} from "../../../errors.js";

/** The fields dockerode puts on the errors it rejects with. */
interface DockerodeError {
  statusCode?: number;
  json?: unknown;
  message?: string;
  code?: string;
  name?: string;
}

/** The engine's own message: its JSON `message`, else dockerode's text without its prefix. */
function engineMessage(error: DockerodeError): string {
  const json = error.json;
  if (json !== null && typeof json === "object" && "message" in json && typeof json.message === "string") {
    return json.message;
  }
  if (typeof json === "string" && json.trim() !== "") return json.trim();
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString("utf8").trim();
  return (error.message ?? "unknown error").replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ENOENT",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ETIMEDOUT",
]);

/**
 * Maps a dockerode failure to the SDK's errors. `what` says what was being done (`create container
 * web-1`) and starts the message; the engine's own words follow. Errors the SDK already made pass
 * through untouched.
 */
export function mapEngineError(
  error: unknown,
  runtime: string,
  what: string,
  endpoint: string,
): OpenShellError {
  if (error instanceof OpenShellError) return error;
  const e = (error ?? {}) as DockerodeError;
  if (e.name === "AbortError" || e.code === "ABORT_ERR") {
    return new CanceledError(`${what}: canceled by the caller's signal`, { cause: error });
  }
  if (e.statusCode === undefined) {
    if (e.code !== undefined && CONNECTION_CODES.has(e.code)) {
      return new UnavailableError(
        `${what}: cannot reach the ${runtime} engine at ${endpoint} (${e.code}). Is it running? ` +
          `Start it, or point OPENSHELL_RUNTIME / DOCKER_HOST / CONTAINER_HOST at one that is.`,
        { cause: error },
      );
    }
    return new ContainerRuntimeError(`${what}: ${e.message ?? String(error)}`, { runtime, cause: error });
  }
  const message = `${what}: ${engineMessage(e)}`;
  // Podman answers a taken name with 500, not Docker's 409; the words are the same.
  if (/already (in use|exists)/i.test(message)) return new AlreadyExistsError(message, { cause: error });
  switch (e.statusCode) {
    case 404:
      return new NotFoundError(message, { cause: error });
    case 409:
      return new FailedPreconditionError(message, { cause: error });
    case 400:
      return new InvalidArgumentError(message, { cause: error });
    default:
      return new ContainerRuntimeError(message, { runtime, statusCode: e.statusCode, cause: error });
  }
}

/** True for a dockerode error with this HTTP status (304 "already started" and the like). */
export function hasStatus(error: unknown, status: number): boolean {
  return (error as DockerodeError | null)?.statusCode === status;
}
