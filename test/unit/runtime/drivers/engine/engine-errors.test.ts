import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  CanceledError,
  ContainerRuntimeError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  OpenShellError,
  UnavailableError,
} from "../../../../../src/errors.js";
import { hasStatus, mapEngineError } from "../../../../../src/runtime/drivers/engine/engine-errors.js";

const SOCKET = "unix:///var/run/docker.sock";

/** A rejection as docker-modem builds it: its text, the HTTP status and the decoded body. */
function httpError(statusCode: number, reason: string, json: unknown): Error {
  const cause =
    json !== null && typeof json === "object" && "message" in json ? String(json.message) : String(json);
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${reason} - ${cause} `), {
    reason,
    statusCode,
    json,
  });
}

function connectionError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: "connect" });
}

describe("mapEngineError", () => {
  it("maps 404 to NotFoundError with the engine's own message", () => {
    const cause = httpError(404, "no such container", { message: "No such container: web-1" });
    const error = mapEngineError(cause, "docker", "inspect container web-1", SOCKET);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.code).toBe("not_found");
    expect(error.message).toBe("inspect container web-1: No such container: web-1");
    expect(error.cause).toBe(cause);
  });

  it("maps Docker's 409 for a taken name to AlreadyExistsError", () => {
    const error = mapEngineError(
      httpError(409, "conflict", {
        message:
          'Conflict. The container name "/web-1" is already in use by container "4f1c0bd0a3e2". ' +
          "You have to remove (or rename) that container to be able to reuse that name.",
      }),
      "docker",
      "create container web-1",
      SOCKET,
    );
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error.message).toMatch(
      /^create container web-1: Conflict\. The container name "\/web-1" is already in use/,
    );
  });

  it("maps Podman's 500 for a taken name to AlreadyExistsError", () => {
    const error = mapEngineError(
      httpError(500, "server error", {
        cause: "that name is already in use",
        message:
          'creating container storage: the container name "web-1" is already in use by 4f1c0bd0a3e2. ' +
          "You have to remove that container to be able to reuse that name: that name is already in use",
        response: 500,
      }),
      "podman",
      "create container web-1",
      "unix:///run/user/1000/podman/podman.sock",
    );
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error.code).toBe("already_exists");
  });

  it("maps a network that already exists to AlreadyExistsError", () => {
    const error = mapEngineError(
      httpError(409, "conflict", { message: "network with name backend already exists" }),
      "docker",
      "create network backend",
      SOCKET,
    );
    expect(error).toBeInstanceOf(AlreadyExistsError);
  });

  it("maps any other 409 to FailedPreconditionError", () => {
    const error = mapEngineError(
      httpError(409, "conflict", {
        message:
          'cannot remove container "/web-1": container is running: stop the container before removing or force remove',
      }),
      "docker",
      "remove container web-1",
      SOCKET,
    );
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.message).toBe(
      'remove container web-1: cannot remove container "/web-1": container is running: stop the container before removing or force remove',
    );
  });

  it("maps 400 to InvalidArgumentError", () => {
    const error = mapEngineError(
      httpError(400, "bad parameter", { message: "invalid reference format" }),
      "docker",
      "create container",
      SOCKET,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe("create container: invalid reference format");
  });

  it("maps 500 to ContainerRuntimeError carrying the runtime and status", () => {
    const cause = httpError(500, "server error", {
      message: "driver failed programming external connectivity",
    });
    const error = mapEngineError(cause, "podman", "start container web-1", "unix:///run/podman/podman.sock");
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    const runtimeError = error as ContainerRuntimeError;
    expect(runtimeError.code).toBe("runtime");
    expect(runtimeError.runtime).toBe("podman");
    expect(runtimeError.statusCode).toBe(500);
    expect(runtimeError.message).toBe(
      "start container web-1: driver failed programming external connectivity",
    );
    expect(runtimeError.cause).toBe(cause);
  });

  it("keeps other statuses on ContainerRuntimeError", () => {
    const error = mapEngineError(
      httpError(403, "client error, permission denied", { message: "operation not permitted" }),
      "docker",
      "x",
      SOCKET,
    );
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect((error as ContainerRuntimeError).statusCode).toBe(403);
  });

  it("uses a plain-text or Buffer body as the message", () => {
    expect(
      mapEngineError(httpError(500, "server error", "  page not found\n"), "docker", "ping", SOCKET).message,
    ).toBe("ping: page not found");
    expect(
      mapEngineError(httpError(500, "server error", Buffer.from("raw body\n")), "docker", "ping", SOCKET)
        .message,
    ).toBe("ping: raw body");
  });

  it("strips dockerode's (HTTP code N) prefix when the body was not kept", () => {
    // Streaming calls (pull, build, logs) reject with json null: only the text carries the words.
    const error = mapEngineError(
      Object.assign(
        new Error("(HTTP code 404) no such image - pull access denied for nope, repository does not exist "),
        {
          statusCode: 404,
          json: null,
        },
      ),
      "docker",
      "pull image nope",
      SOCKET,
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe("pull image nope: pull access denied for nope, repository does not exist");
  });

  it.each(["ECONNREFUSED", "ENOENT"])(
    "maps %s without a status to UnavailableError naming the endpoint",
    (code) => {
      const cause = connectionError(code, `connect ${code} /var/run/docker.sock`);
      const error = mapEngineError(cause, "docker", "list containers", SOCKET);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error.code).toBe("unavailable");
      expect(error.message).toBe(
        `list containers: cannot reach the docker engine at ${SOCKET} (${code}). Is it running? ` +
          "Start it, or point OPENSHELL_RUNTIME / DOCKER_HOST / CONTAINER_HOST at one that is.",
      );
      expect(error.cause).toBe(cause);
    },
  );

  it("maps other failures without a status to ContainerRuntimeError with the error's text", () => {
    const error = mapEngineError(new Error("socket hang up"), "podman", "inspect container a", SOCKET);
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect(error.message).toBe("inspect container a: socket hang up");
    expect((error as ContainerRuntimeError).statusCode).toBeUndefined();
    expect((error as ContainerRuntimeError).runtime).toBe("podman");
  });

  it("maps a thrown non-error value", () => {
    const error = mapEngineError("boom", "docker", "do it", SOCKET);
    expect(error).toBeInstanceOf(ContainerRuntimeError);
    expect(error.message).toBe("do it: boom");
  });

  it("maps an abort to CanceledError", () => {
    const domAbort = new DOMException("This operation was aborted", "AbortError");
    const canceled = mapEngineError(domAbort, "docker", "pull image alpine", SOCKET);
    expect(canceled).toBeInstanceOf(CanceledError);
    expect(canceled.code).toBe("canceled");
    expect(canceled.message).toBe("pull image alpine: canceled by the caller's signal");
    expect(canceled.cause).toBe(domAbort);

    const nodeAbort = Object.assign(new Error("The operation was aborted"), { code: "ABORT_ERR" });
    expect(mapEngineError(nodeAbort, "docker", "x", SOCKET)).toBeInstanceOf(CanceledError);
  });

  it("passes an SDK error through untouched", () => {
    const own = new NotFoundError("already mapped");
    expect(mapEngineError(own, "docker", "x", SOCKET)).toBe(own);
    const canceled = new CanceledError("stop");
    expect(mapEngineError(canceled, "docker", "x", SOCKET)).toBe(canceled);
  });

  it("always returns an OpenShellError", () => {
    for (const input of [undefined, null, {}, 42, new Error("x")]) {
      expect(mapEngineError(input, "docker", "x", SOCKET)).toBeInstanceOf(OpenShellError);
    }
  });
});

describe("hasStatus", () => {
  it("tells a dockerode error's HTTP status", () => {
    const notModified = httpError(304, "container already started", "");
    expect(hasStatus(notModified, 304)).toBe(true);
    expect(hasStatus(notModified, 404)).toBe(false);
    expect(hasStatus(new Error("x"), 304)).toBe(false);
    expect(hasStatus(null, 304)).toBe(false);
    expect(hasStatus(undefined, 304)).toBe(false);
  });
});
