import { mkdtemp, rm } from "node:fs/promises";
import { connect, constants, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import {
  createCertificateAuthority,
  issueCertificate,
} from "../../../../src/local/listen/certificate-issuer.js";
import {
  ensureGatewayCertificates,
  type GatewayCertificates,
} from "../../../../src/local/listen/gateway-certificates.js";
import { listenWithMtls, type MtlsListener } from "../../../../src/local/listen/loopback-listener.js";

let base: string;
let certs: GatewayCertificates;
const open: MtlsListener[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "openshell-listen-"));
  certs = await ensureGatewayCertificates(join(base, "tls"));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const hello = (_req: Http2ServerRequest, res: Http2ServerResponse) => {
  res.end("hello");
};

async function listen(
  handler: (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  options: Partial<Parameters<typeof listenWithMtls>[1]> = {},
): Promise<MtlsListener> {
  const listener = await listenWithMtls(handler, { certificates: certs, ...options });
  open.push(listener);
  return listener;
}

interface ClientCredentials {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * One GET over HTTP/2: the body of a complete 200 answer, else the error the client saw (the socket
 * error itself, e.g. ECONNREFUSED, rather than Node's wrapper around it).
 */
function get(endpoint: string, tls: ClientCredentials): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = connect(endpoint, { ...tls, servername: "localhost" });
    const fail = (err: Error) => {
      session.destroy();
      reject((err as { cause?: unknown }).cause ?? err);
    };
    session.on("error", fail);
    const req = session.request({ ":path": "/" });
    let status: number | undefined;
    let body = "";
    req.on("response", (headers) => {
      status = headers[":status"];
    });
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("error", fail);
    req.on("close", () => {
      session.close();
      if (status === 200 && req.rstCode === constants.NGHTTP2_NO_ERROR) resolve(body);
      else reject(new Error(`no complete answer (status ${status}, stream reset code ${req.rstCode})`));
    });
  });
}

const withClientCert = () => ({ ca: certs.ca, cert: certs.client.cert, key: certs.client.key });

describe("listenWithMtls", () => {
  it("serves a client that presents the gateway's client certificate, on 127.0.0.1 by default", async () => {
    const listener = await listen(hello);
    expect(listener.endpoint).toBe(`https://127.0.0.1:${listener.port}`);
    expect(listener.port).toBeGreaterThan(0);
    expect(await get(listener.endpoint, withClientCert())).toBe("hello");
  });

  it("refuses a client without a client certificate", async () => {
    const listener = await listen(hello);
    await expect(get(listener.endpoint, { ca: certs.ca })).rejects.toThrow();
  });

  it("refuses a client whose certificate another CA signed", async () => {
    const listener = await listen(hello);
    const otherCa = await createCertificateAuthority("someone-else");
    const stranger = await issueCertificate(otherCa, { commonName: "stranger", usage: "client" });
    await expect(get(listener.endpoint, { ca: certs.ca, ...stranger })).rejects.toThrow();
  });

  it.each([
    ["::1", /^https:\/\/\[::1\]:\d+$/],
    ["[::1]", /^https:\/\/\[::1\]:\d+$/],
    ["localhost", /^https:\/\/(127\.0\.0\.1|\[::1\]):\d+$/],
    ["127.0.0.2", /^https:\/\/127\.0\.0\.2:\d+$/],
  ])("listens on loopback host %s", async (host, endpoint) => {
    const listener = await listen(hello, { host });
    expect(listener.endpoint).toMatch(endpoint);
    expect(await get(listener.endpoint, withClientCert())).toBe("hello");
  });

  it.each(["0.0.0.0", "::", "192.0.2.10", "example.com"])("refuses non-loopback host %s", async (host) => {
    const err = await listenWithMtls(hello, { host, certificates: certs }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe("host");
    expect((err as Error).message).toContain("allowNonLoopback: true");
    expect((err as Error).message).toContain(host);
  });

  it("listens on all interfaces with allowNonLoopback, reporting the loopback endpoint", async () => {
    const listener = await listen(hello, { host: "0.0.0.0", allowNonLoopback: true });
    expect(listener.endpoint).toBe(`https://127.0.0.1:${listener.port}`);
    expect(await get(listener.endpoint, withClientCert())).toBe("hello");
  });

  it.each([-1, 65_536, 1.5, Number.NaN])("refuses port %s", async (port) => {
    const err = await listenWithMtls(hello, { port, certificates: certs }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe("port");
  });

  it("fails with the system's error when the port is taken", async () => {
    const first = await listen(hello);
    await expect(listenWithMtls(hello, { port: first.port, certificates: certs })).rejects.toMatchObject({
      code: "EADDRINUSE",
    });
  });

  it("lets a call in flight finish on close, then refuses new connections", async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const listener = await listen((_req, res) => {
      started();
      setTimeout(() => res.end("finished"), 100);
    });
    const call = get(listener.endpoint, withClientCert());
    await inFlight;
    await listener.close();
    expect(await call).toBe("finished");
    await expect(get(listener.endpoint, withClientCert())).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("cuts off a call still open after the grace period, and close() resolves", async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const listener = await listen(
      () => {
        started(); // never answers
      },
      { closeGraceMs: 100 },
    );
    const call = get(listener.endpoint, withClientCert());
    await inFlight;
    const t0 = Date.now();
    await listener.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(call).rejects.toThrow();
  });

  it("closes once however often close() is called, and with await using", async () => {
    let port = 0;
    {
      await using listener = await listenWithMtls(hello, { certificates: certs });
      port = listener.port;
      await Promise.all([listener.close(), listener.close()]);
    }
    await expect(get(`https://127.0.0.1:${port}`, withClientCert())).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });
});
