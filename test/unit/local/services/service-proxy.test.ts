import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  openServiceProxy,
  type ServiceProxy,
  type ServiceTarget,
} from "../../../../src/local/services/service-proxy.js";

/**
 * The service listener against real HTTP servers on this host (standing in for a sandbox's port):
 * what a browser sees through it, and what it answers instead when the target is not there.
 */
describe("a service endpoint's listener", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A server that answers with what it received, and echoes upgraded connections. */
  async function backend(): Promise<{ port: number; server: Server }> {
    const server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => {
        body += c;
      });
      req.on("end", () => {
        res.writeHead(201, { "x-backend": "yes", "content-type": "application/json" });
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
      });
    });
    server.on("upgrade", (_req, socket: Socket) => {
      socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    );
    return { port: (server.address() as AddressInfo).port, server };
  }

  async function proxy(resolve: () => ServiceTarget, port = 0): Promise<ServiceProxy> {
    const p = await openServiceProxy(port, resolve);
    cleanups.push(() => p.close());
    return p;
  }

  function send(
    port: number,
    options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string } | { error: string }> {
    return new Promise((resolve) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: options.method ?? "GET",
          path: options.path ?? "/",
          headers: options.headers ?? {},
          agent: false,
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      req.end(options.body);
    });
  }

  it("forwards method, path, body and end-to-end headers, keeps Host, and relays the answer", async () => {
    const { port } = await backend();
    const p = await proxy(() => ({ ok: true, host: "127.0.0.1", port }));
    const got = await send(p.port, {
      method: "POST",
      path: "/api/items?x=1",
      headers: {
        host: "default--web.openshell.localhost",
        "x-custom": "kept",
        connection: "keep-alive, x-hop",
        "x-hop": "dropped",
        "x-forwarded-for": "10.0.0.9",
      },
      body: "payload",
    });
    expect(got).toMatchObject({ status: 201, headers: { "x-backend": "yes" } });
    const seen = JSON.parse((got as { body: string }).body);
    expect(seen).toMatchObject({ method: "POST", url: "/api/items?x=1", body: "payload" });
    expect(seen.headers).toMatchObject({
      host: "default--web.openshell.localhost",
      "x-custom": "kept",
      "x-forwarded-for": "10.0.0.9, 127.0.0.1",
      "x-forwarded-proto": "http",
    });
    expect(seen.headers["x-hop"]).toBeUndefined();
  });

  it("answers 412 or 502 in its own words when the target is not reachable, and 502 when nothing listens", async () => {
    const p412 = await proxy(() => ({ ok: false, status: 412, message: 'sandbox "web" is not ready' }));
    expect(await send(p412.port)).toMatchObject({
      status: 412,
      body: 'openshell local gateway: sandbox "web" is not ready\n',
    });
    // A port nothing listens on: a server that was there and is gone.
    const { port, server } = await backend();
    await new Promise((resolve) => server.close(resolve));
    const p502 = await proxy(() => ({ ok: true, host: "127.0.0.1", port }));
    const got = await send(p502.port);
    expect(got).toMatchObject({ status: 502 });
    expect((got as { body: string }).body).toContain(
      `nothing answers on port ${port} in the sandbox (ECONNREFUSED)`,
    );
  });

  it("reads the target at each request, so a new target applies at once", async () => {
    const a = await backend();
    const b = await backend();
    let target = a.port;
    const p = await proxy(() => ({ ok: true, host: "127.0.0.1", port: target }));
    expect(await send(p.port)).toMatchObject({ status: 201 });
    await new Promise((resolve) => a.server.close(resolve));
    a.server.closeAllConnections();
    target = b.port;
    expect(await send(p.port)).toMatchObject({ status: 201 });
  });

  it("relays a WebSocket upgrade both ways, and answers a refused one with 502", async () => {
    const { port } = await backend();
    const p = await proxy(() => ({ ok: true, host: "127.0.0.1", port }));
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({
        host: "127.0.0.1",
        port: p.port,
        headers: { Connection: "Upgrade", Upgrade: "websocket" },
        agent: false,
      });
      req.on("upgrade", (res, socket) => {
        expect(res.statusCode).toBe(101);
        socket.once("data", (data: Buffer) => {
          socket.destroy();
          resolve(data.toString());
        });
        socket.write("frame-bytes");
      });
      req.on("error", reject);
      req.end();
    });
    expect(echoed).toBe("frame-bytes");

    const refused = await proxy(() => ({ ok: false, status: 412, message: "not ready" }));
    const answer = await send(refused.port, { headers: { Connection: "Upgrade", Upgrade: "websocket" } });
    expect(answer).toMatchObject({ status: 412, body: "openshell local gateway: not ready\n" });
  });

  it("passes on a server's refusal to upgrade, body and all, and closes the connection after it", async () => {
    const server = createNetServer((socket) => {
      socket.once("data", () =>
        socket.end(
          "HTTP/1.1 426 Upgrade Required\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nnope!",
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as AddressInfo).port;
    const p = await proxy(() => ({ ok: true, host: "127.0.0.1", port }));
    const answer = await send(p.port, { headers: { Connection: "Upgrade", Upgrade: "websocket" } });
    expect(answer).toMatchObject({ status: 426, body: "nope!", headers: { connection: "close" } });
    expect(answer).not.toHaveProperty("headers.content-length");
  });

  it("listens on the port it is given when free, on another when taken, and refuses connections once closed", async () => {
    const first = await openServiceProxy(0, () => ({ ok: false, status: 502, message: "x" }));
    const port = first.port;
    // Taken: another free port.
    const second = await proxy(() => ({ ok: false, status: 502, message: "x" }), port);
    expect(second.port).not.toBe(port);
    await first.close();
    expect(await send(port)).toEqual({ error: "ECONNREFUSED" });
    // Free again: the same port.
    const third = await proxy(() => ({ ok: false, status: 502, message: "x" }), port);
    expect(third.port).toBe(port);
  });
});
