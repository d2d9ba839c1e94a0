import { describe, expect, it } from "vitest";
import { TimeoutError, TlsError, UnavailableError } from "../../../../src/errors.js";
import { pingFailure } from "../../../../src/runtime/detection/ping-failure.js";
import type { EngineEndpoint } from "../../../../src/runtime/engine-endpoint.js";

const socket: EngineEndpoint = { kind: "unix", socketPath: "/var/run/docker.sock" };
const plainTcp: EngineEndpoint = { kind: "tcp", host: "engine", port: 2375 };
const tlsTcp: EngineEndpoint = {
  kind: "tcp",
  host: "engine",
  port: 2376,
  tls: { caFile: "/c/ca.pem", certFile: "/c/cert.pem", keyFile: "/c/key.pem", verify: true },
};

function nodeError(code: string, message = `failed ${code}`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

const before = { handshakeDone: false };
const after = { handshakeDone: true };

describe("pingFailure", () => {
  it("explains connection failures on sockets", () => {
    expect(pingFailure(socket, nodeError("EACCES"), before).message).toBe(
      "unix:///var/run/docker.sock: permission denied on /var/run/docker.sock: join the group that owns the socket (docker) or use a rootless engine [EACCES]",
    );
    expect(pingFailure(socket, nodeError("ENOTDIR"), before).message).toContain(
      "no socket at /var/run/docker.sock [ENOTDIR]",
    );
    expect(pingFailure(socket, nodeError("ECONNRESET"), before).message).toContain(
      "the connection closed before the engine answered (ECONNRESET)",
    );
  });

  it("explains connection failures on tcp", () => {
    expect(pingFailure(plainTcp, nodeError("ENOTFOUND"), before).message).toBe(
      "tcp://engine:2375: cannot resolve host engine [ENOTFOUND]",
    );
    const other = pingFailure(
      plainTcp,
      nodeError("EHOSTUNREACH", "connect EHOSTUNREACH 10.0.0.1:2375"),
      before,
    );
    expect(other).toBeInstanceOf(UnavailableError);
    expect(other.message).toBe("tcp://engine:2375: connect EHOSTUNREACH 10.0.0.1:2375 [EHOSTUNREACH]");
  });

  it("names the CA file when the engine's certificate is not trusted", () => {
    const err = pingFailure(tlsTcp, nodeError("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), before);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.message).toBe(
      "tcp://engine:2376 (TLS): TLS handshake failed: the engine's certificate is not signed by /c/ca.pem [UNABLE_TO_VERIFY_LEAF_SIGNATURE]",
    );
    expect(pingFailure(tlsTcp, nodeError("ERR_TLS_CERT_ALTNAME_INVALID"), before).message).toContain(
      "does not name this host",
    );
  });

  it("names the client certificate when the engine refuses it", () => {
    for (const code of ["ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"]) {
      const err = pingFailure(tlsTcp, nodeError(code), before);
      expect(err).toBeInstanceOf(TlsError);
      expect(err.message).toContain("client certificate (/c/cert.pem)");
    }
    const dropped = pingFailure(tlsTcp, nodeError("ECONNRESET", "socket hang up"), after);
    expect(dropped).toBeInstanceOf(TlsError);
    expect(dropped.message).toContain("closed the TLS connection right after the handshake");
    expect(dropped.message).toContain("/c/cert.pem");
    expect(pingFailure(tlsTcp, nodeError("ECONNRESET"), before).message).toContain(
      "the TLS handshake was cut off",
    );
  });

  it("says when the far end is not TLS, or the files are unusable", () => {
    expect(pingFailure(tlsTcp, nodeError("ERR_SSL_WRONG_VERSION_NUMBER"), before).message).toContain(
      "does not speak TLS",
    );
    const eproto =
      "write EPROTO 80FC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:";
    expect(pingFailure(tlsTcp, nodeError("EPROTO", eproto), before).message).toContain("does not speak TLS");
    const other =
      "write EPROTO 80FC:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../x.c:1:";
    expect(pingFailure(tlsTcp, nodeError("EPROTO", other), before).message).toBe(
      "tcp://engine:2376 (TLS): TLS handshake failed: sslv3 alert handshake failure [EPROTO]",
    );
    expect(
      pingFailure(tlsTcp, nodeError("ERR_OSSL_X509_KEY_VALUES_MISMATCH", "key values mismatch"), before)
        .message,
    ).toContain("cannot use /c/cert.pem / /c/key.pem: key values mismatch");
  });

  it("passes the SDK's own errors through", () => {
    const timeout = new TimeoutError("t");
    expect(pingFailure(socket, timeout, before)).toBe(timeout);
  });
});
