import { once } from "node:events";
import * as net from "node:net";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { firstWord, isHttpRequestStart, isTlsClientHello } from "../../../../src/local/egress/first-bytes.js";
import { LeafCertificates } from "../../../../src/local/egress/leaf-certificates.js";
import { createCertificateAuthority } from "../../../support/certs.js";

/** The first bytes a real client sends: Node's TLS client, and an HTTP client's request line. */
async function firstBytesOf(send: (port: number) => void): Promise<Buffer> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const got = new Promise<Buffer>((resolve) => {
    server.once("connection", (socket) => {
      socket.once("data", (bytes: Buffer) => {
        resolve(bytes);
        socket.destroy();
      });
    });
  });
  send((server.address() as net.AddressInfo).port);
  try {
    return await got;
  } finally {
    server.close();
  }
}

describe("telling TLS from plain by the first bytes", () => {
  it("recognizes a real ClientHello, also from its first byte alone, for TLS 1.2 and 1.3 clients", async () => {
    for (const maxVersion of ["TLSv1.2", "TLSv1.3"] as const) {
      const hello = await firstBytesOf((port) => {
        const client = tls.connect({ host: "127.0.0.1", port, servername: "api.test", maxVersion });
        client.on("error", () => {});
      });
      expect(isTlsClientHello(hello)).toBe(true);
      expect(isTlsClientHello(hello.subarray(0, 1))).toBe(true);
      expect(isHttpRequestStart(hello)).toBe(false);
    }
  });

  it("recognizes an HTTP request line and nothing else as HTTP", async () => {
    const request = await firstBytesOf((port) => {
      const client = net.connect(port, "127.0.0.1", () => client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
      client.on("error", () => {});
    });
    expect(isHttpRequestStart(request)).toBe(true);
    expect(isTlsClientHello(request)).toBe(false);
    for (const start of ["POST /x", "DELETE /", "OPTIONS *", "PATCH /a"]) {
      expect(isHttpRequestStart(Buffer.from(start))).toBe(true);
    }
    for (const other of ["SSH-2.0-OpenSSH", "\x00\x00\x00\x08", "get / HTTP/1.1", "EHLO x", ""]) {
      expect(isHttpRequestStart(Buffer.from(other))).toBe(false);
      expect(isTlsClientHello(Buffer.from(other))).toBe(false);
    }
    // A handshake record that is not a ClientHello (type 2, ServerHello), or an SSLv3-less version byte.
    expect(isTlsClientHello(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x10, 0x02]))).toBe(false);
    expect(isTlsClientHello(Buffer.from([0x16, 0x03, 0x09]))).toBe(false);
  });

  it("waits for whoever speaks first and leaves the bytes to be read again", async () => {
    const server = net.createServer((socket) => socket.end("220 greeting\r\n"));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const upstream = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    const silentPair = net.createServer();
    silentPair.listen(0, "127.0.0.1");
    await once(silentPair, "listening");
    const client = net.connect((silentPair.address() as net.AddressInfo).port, "127.0.0.1");
    try {
      const word = await firstWord(client, upstream);
      expect(word).toMatchObject({ from: "upstream" });
      expect(String(word.from === "upstream" ? word.bytes : "")).toBe("220 greeting\r\n");
      // Still there for the next reader.
      let again = "";
      upstream.on("data", (chunk: Buffer) => {
        again += String(chunk);
      });
      upstream.resume();
      await once(upstream, "end");
      expect(again).toBe("220 greeting\r\n");
    } finally {
      client.destroy();
      upstream.destroy();
      server.close();
      silentPair.close();
    }
  });
});

/** What a client trusting `ca` sees of a TLS server using `context`, reached as `host`. */
async function presented(context: tls.SecureContext, ca: string, host: string) {
  const server = net.createServer((socket) => {
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
    secure.on("error", () => socket.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const ip = net.isIP(host) !== 0;
  const socket = tls.connect({ host: "127.0.0.1", port, ca, ...(ip ? {} : { servername: host }) });
  try {
    await once(socket, "secureConnect");
    return { authorized: socket.authorized, san: socket.getPeerCertificate().subjectaltname };
  } finally {
    socket.destroy();
    server.close();
  }
}

describe("LeafCertificates", () => {
  it("issues one certificate per host from the CA, for names and IP addresses, and keeps at most the bound", async () => {
    const ca = await createCertificateAuthority("leaf-test-ca");
    const leaves = new LeafCertificates(ca, 2);
    const first = await leaves.context("api.test");
    expect(await leaves.context("api.test")).toBe(first);
    await leaves.context("10.0.0.1");
    await leaves.context("third.test");
    expect(leaves.size).toBe(2);
    // The least recently used (api.test) was dropped: asked again, it is issued anew.
    expect(await leaves.context("api.test")).not.toBe(first);

    for (const [host, san] of [
      ["api.test", "DNS:api.test"],
      ["127.0.0.1", "IP Address:127.0.0.1"],
    ] as const) {
      const peer = await presented(await leaves.context(host), ca.cert, host);
      expect(peer).toEqual({ authorized: true, san });
    }
  });
});
