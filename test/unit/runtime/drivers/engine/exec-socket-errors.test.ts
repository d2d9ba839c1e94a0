/**
 * An engine connection that breaks while an exec is still being set up (here: the hijacked exec
 * stream is reset while the terminal resize is in flight) must reach the caller as an error of
 * that exec, never as an unhandled `error` event that takes the whole process down.
 */

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShellError } from "../../../../../src/errors.js";
import { DockerRuntime } from "../../../../../src/runtime/drivers/docker/docker-runtime.js";

const CONTAINER = "c0ffee000000000000000000000000000000000000000000000000000000c0de";

/** Just enough of the Docker Engine API for one tty exec whose stream the engine resets mid-resize. */
async function startEngine(): Promise<Server> {
  let hijacked: Socket | undefined;
  const json = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json", "Api-Version": "1.41" });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? "/").split("?")[0]?.replace(/^\/v[\d.]+/, "") ?? "/";
    req.resume();
    if (path === "/_ping") {
      res.writeHead(200, { "Api-Version": "1.41", "Content-Type": "text/plain" });
      res.end("OK");
    } else if (path === "/info") json(res, 200, { Runtimes: { runc: {} }, SecurityOptions: [] });
    else if (path === "/version") json(res, 200, { Version: "20.10.24", ApiVersion: "1.41" });
    else if (path === "/events") res.writeHead(200, { "Content-Type": "application/json" }).flushHeaders();
    else if (path === `/containers/${CONTAINER}/exec`) json(res, 201, { Id: "e1" });
    else if (path === `/containers/${CONTAINER}/json`)
      json(res, 200, { Id: CONTAINER, State: { Running: true } });
    else if (path === "/exec/e1/resize") {
      // The engine drops the exec's stream while the resize is in flight, then answers the resize.
      hijacked?.resetAndDestroy();
      setTimeout(() => json(res, 200, {}), 200);
    } else if (path === "/exec/e1/json") json(res, 200, { Running: false, ExitCode: 0 });
    else json(res, 404, { message: `no fake for ${req.method} ${path}` });
  });
  server.on("upgrade", (_req: IncomingMessage, socket: Socket) => {
    hijacked = socket;
    socket.on("error", () => undefined);
    socket.write(
      "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    );
  });
  // TCP, not a unix socket: only a TCP connection can be reset (RST) as an engine crash resets it.
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

describe("engine exec", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startEngine();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("turns a stream reset during the terminal resize into that exec's error, not an unhandled error", async () => {
    const unhandled: unknown[] = [];
    const onUncaught = (error: unknown) => unhandled.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      const runtime = await DockerRuntime.connect({
        endpoint: { kind: "tcp", host: "127.0.0.1", port: (server.address() as AddressInfo).port },
      });
      const outcome = await runtime
        .exec(CONTAINER, { command: ["sh"], tty: true, terminalSize: { columns: 80, rows: 24 } })
        .then(
          async (proc) => {
            // Whatever exec() answered, the stream it gives must end: with an error or an exit.
            const exit = await proc.wait().catch((error: unknown) => error);
            return { opened: true as const, exit };
          },
          (error: unknown) => ({ opened: false as const, error }),
        );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(unhandled).toEqual([]);
      // The exec fails, as an error of the SDK's that says which exec and what broke.
      const failure = outcome.opened ? outcome.exit : outcome.error;
      expect(failure).toBeInstanceOf(OpenShellError);
      expect(String((failure as Error).message)).toMatch(/exec/);
      await runtime.close();
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });
});
