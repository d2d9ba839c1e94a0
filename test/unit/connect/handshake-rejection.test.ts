import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { isTlsFailure, toOpenShellError } from "../../../src/connect/error-mapping.js";
import {
  closedAfterHandshakeCode,
  rejectionAfterHandshake,
  type SessionEnd,
} from "../../../src/connect/handshake-rejection.js";
import { CanceledError, TlsError, UnavailableError } from "../../../src/errors.js";

const context = { operation: "health check", endpoint: "https://127.0.0.1:41234" };
const rejected: SessionEnd = {
  closedByClient: false,
  settingsAcknowledged: false,
  clientCertificate: true,
  tlsError: false,
};

describe("rejectionAfterHandshake", () => {
  it("names a connection the gateway closed before a word of HTTP/2, with a client certificate sent", () => {
    const err = rejectionAfterHandshake(rejected);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error & { code: string }).code).toBe(closedAfterHandshakeCode);
  });

  it.each<[string, Partial<SessionEnd>]>([
    ["the SDK closed it itself", { closedByClient: true }],
    ["the gateway spoke HTTP/2 first", { settingsAcknowledged: true }],
    ["no client certificate was presented", { clientCertificate: false }],
    ["the gateway sent a TLS alert that says more", { tlsError: true }],
  ])("is nothing when %s", (_why, change) => {
    expect(rejectionAfterHandshake({ ...rejected, ...change })).toBeUndefined();
  });
});

describe("mapping a connection closed right after the TLS handshake", () => {
  it("is a TLS failure, so it is not retried", () => {
    expect(isTlsFailure(rejectionAfterHandshake(rejected))).toBe(true);
  });

  it("becomes a TlsError that says the client certificate was likely rejected and what to check", () => {
    const err = toOpenShellError(rejectionAfterHandshake(rejected), context);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.code).toBe("tls");
    expect(err.message).toBe(
      "health check: the gateway (https://127.0.0.1:41234) closed the connection right after the TLS " +
        "handshake, without a TLS alert or an HTTP/2 response: most likely it rejected the client " +
        "certificate (issued by another CA, or expired); check that mtls/tls.crt and mtls/tls.key " +
        "(or tls.cert and tls.key) were issued by this gateway's CA (mtls/ca.crt) and have not expired " +
        `[${closedAfterHandshakeCode}]`,
    );
  });

  it("is found anywhere in the cause chain", () => {
    const stream = new ConnectError(
      "http/2 stream closed with error code CANCEL (0x8)",
      Code.Canceled,
      undefined,
      undefined,
      rejectionAfterHandshake(rejected),
    );
    expect(toOpenShellError(new Error("call failed", { cause: stream }), context)).toBeInstanceOf(TlsError);
  });

  it("leaves a stream the gateway closed without that reason UNAVAILABLE, and the caller's abort a cancellation", () => {
    // Nobody on this side canceled it: the gateway (or its process) went away under the stream.
    const canceled = new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
    expect(isTlsFailure(canceled)).toBe(false);
    expect(toOpenShellError(canceled, context)).toBeInstanceOf(UnavailableError);
    const abort = new DOMException("This operation was aborted", "AbortError");
    expect(toOpenShellError(abort, context)).toBeInstanceOf(CanceledError);
  });
});
