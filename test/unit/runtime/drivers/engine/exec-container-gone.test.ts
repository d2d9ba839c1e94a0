/**
 * Podman answers the inspect of an exec whose container was just removed with a 500 saying the
 * container "does not exist in database: no such container" (seen under load), where Docker answers
 * 404. Either way the caller must learn that the container stopped under the command.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerRuntimeError } from "../../../../../src/errors.js";
import { DockerRuntime } from "../../../../../src/runtime/drivers/docker/docker-runtime.js";

const CONTAINER = "c0ffee000000000000000000000000000000000000000000000000000000c0de";
const GONE = `retrieving exec session e1 from container ${CONTAINER}: container ${CONTAINER} does not exist in database: no such container`;

/** Just enough of the engine API for one exec whose container is removed under it. */
async function startEngine(): Promise<Server> {
  const json = (res: ServerResponse, status: number, body: unknown) => {
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
      json(res, 404, { message: `no such container ${CONTAINER}` });
    else if (path === "/exec/e1/json")
      json(res, 500, { cause: "no such container", message: GONE, response: 500 });
    else json(res, 404, { message: `no fake for ${req.method} ${path}` });
  });
  server.on("upgrade", (_req: IncomingMessage, socket: Socket) => {
    socket.on("error", () => undefined);
    socket.write(
      "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    );
    // The container is removed: the engine ends the exec's stream.
    setTimeout(() => socket.end(), 50);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

describe("engine exec whose container is removed under it", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startEngine();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("says the container stopped while the command ran, also when the exec's inspect answers 500 no such container", async () => {
    const runtime = await DockerRuntime.connect({
      endpoint: { kind: "tcp", host: "127.0.0.1", port: (server.address() as AddressInfo).port },
    });
    try {
      const proc = await runtime.exec(CONTAINER, { command: ["sleep", "3600"] });
      const error = await proc.wait().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContainerRuntimeError);
      expect(String(error)).toMatch(/stopped while the command was running/);
    } finally {
      await runtime.close();
    }
  });
});
