import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { toOpenShellError } from "../../../src/connect/error-mapping.js";
import {
  AlreadyExistsError,
  CanceledError,
  ConflictError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  OpenShellError,
  PermissionDeniedError,
  ProtocolError,
  ResourceExhaustedError,
  TimeoutError,
  TlsError,
  UnauthenticatedError,
  UnavailableError,
} from "../../../src/errors.js";

const context = { operation: 'get sandbox "demo"', endpoint: "https://gw:17670" };

describe("toOpenShellError", () => {
  const cases: [Code, new (...args: never[]) => OpenShellError, string, string][] = [
    [Code.NotFound, NotFoundError, "not_found", "NOT_FOUND"],
    [Code.AlreadyExists, AlreadyExistsError, "already_exists", "ALREADY_EXISTS"],
    [Code.InvalidArgument, InvalidArgumentError, "invalid_argument", "INVALID_ARGUMENT"],
    [Code.FailedPrecondition, FailedPreconditionError, "failed_precondition", "FAILED_PRECONDITION"],
    [Code.Aborted, ConflictError, "conflict", "ABORTED"],
    [Code.ResourceExhausted, ResourceExhaustedError, "resource_exhausted", "RESOURCE_EXHAUSTED"],
    [Code.Unauthenticated, UnauthenticatedError, "unauthenticated", "UNAUTHENTICATED"],
    [Code.PermissionDenied, PermissionDeniedError, "permission_denied", "PERMISSION_DENIED"],
    [Code.Unavailable, UnavailableError, "unavailable", "UNAVAILABLE"],
    [Code.DeadlineExceeded, TimeoutError, "timeout", "DEADLINE_EXCEEDED"],
    [Code.Canceled, CanceledError, "canceled", "CANCELED"],
    [Code.Unimplemented, ProtocolError, "protocol", "UNIMPLEMENTED"],
    [Code.Internal, InternalError, "internal", "INTERNAL"],
    [Code.Unknown, InternalError, "internal", "UNKNOWN"],
    [Code.DataLoss, InternalError, "internal", "DATA_LOSS"],
  ];

  it.each(cases)("maps gRPC code %s to its class with a stable code", (code, cls, stable, grpc) => {
    const err = toOpenShellError(new ConnectError("sandbox demo is gone", code), context);
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(OpenShellError);
    expect(err.code).toBe(stable);
    expect(err.grpcCode).toBe(grpc);
    expect(err.message).toContain('get sandbox "demo"');
    expect(err.message).toContain("sandbox demo is gone");
  });

  it("on UNIMPLEMENTED from local mode, passes on what it says to use instead and does not blame an old gateway", () => {
    const local = toOpenShellError(
      new ConnectError(
        "openshell.v1.OpenShell/CreateWorkspace is not available in local mode (OpenShell.local()): use OpenShell.connect()",
        Code.Unimplemented,
      ),
      context,
    );
    expect(local).toBeInstanceOf(ProtocolError);
    expect(local.message).toContain(
      "not available in local mode (OpenShell.local()): use OpenShell.connect()",
    );
    expect(local.message).not.toMatch(/older than this SDK/);
    const old = toOpenShellError(new ConnectError("unknown method", Code.Unimplemented), context);
    expect(old.message).toMatch(/older than this SDK expects/);
  });

  it("on PERMISSION_DENIED keeps the role the gateway names and says how to get it", () => {
    const err = toOpenShellError(
      new ConnectError("role 'openshell-admin' required to manage workspaces", Code.PermissionDenied),
      context,
    );
    expect(err.message).toContain("role 'openshell-admin' required to manage workspaces");
    expect(err.message).toContain("os.workspaces.currentUser()");
    expect(err.message).toMatch(/ask a platform admin .* to grant it/);
  });

  it("says what to do on UNAVAILABLE and names the endpoint", () => {
    const err = toOpenShellError(new ConnectError("connection refused", Code.Unavailable), context);
    expect(err.message).toContain("https://gw:17670");
    expect(err.message).toMatch(/running and reachable/);
  });

  it("says a connection that broke under the call is UNAVAILABLE, not a conflict or a cancel nobody made", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    const aborted = toOpenShellError(
      new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, reset),
      context,
    );
    expect(aborted).toBeInstanceOf(UnavailableError);
    expect(aborted.message).toMatch(
      /connection to the gateway \(https:\/\/gw:17670\) broke before the call finished \(read ECONNRESET\)/,
    );
    expect(aborted.message).not.toMatch(/changed since you read it/);
    const closed = toOpenShellError(
      new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled),
      context,
    );
    expect(closed).toBeInstanceOf(UnavailableError);
    // A status the gateway sent keeps its meaning.
    expect(
      toOpenShellError(new ConnectError("canceled by the server", Code.Canceled), context),
    ).toBeInstanceOf(CanceledError);
  });

  it("ends an UNAVAILABLE message with one period, whatever the detail ends with", () => {
    const err = toOpenShellError(
      new ConnectError("the engine is gone. Start it.", Code.Unavailable),
      context,
    );
    expect(err.message).toContain("Start it. Check that it is running");
  });

  it("recognises TLS handshake failures anywhere in the cause chain", () => {
    const nodeErr = Object.assign(new Error("certificate has expired"), {
      code: "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED",
    });
    const err = toOpenShellError(
      new ConnectError("transport failed", Code.Unavailable, undefined, undefined, nodeErr),
      context,
    );
    expect(err).toBeInstanceOf(TlsError);
    expect(err.message).toMatch(/client certificate because it has expired/);
  });

  it("keeps an SDK error as it is", () => {
    const original = new NotFoundError("x");
    expect(toOpenShellError(original, context)).toBe(original);
  });

  it("prints class, code and message from toString", () => {
    const err = toOpenShellError(new ConnectError("nope", Code.NotFound), context);
    expect(String(err)).toBe(`NotFoundError [not_found]: get sandbox "demo": nope`);
  });
});
