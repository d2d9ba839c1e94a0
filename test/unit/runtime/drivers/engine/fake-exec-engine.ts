import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { DockerRuntime } from "../../../../../src/runtime/drivers/docker/docker-runtime.js";

/** The container every fake exec runs in. */
export const FAKE_CONTAINER = "c0ffee000000000000000000000000000000000000000000000000000000c0de";

/** Answers `status` with `body` as the engine does: JSON, with its API version. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Api-Version": "1.41" });
  res.end(JSON.stringify(body));
}

/** What a test engine does beyond the handshake and creating exec `e1` in {@link FAKE_CONTAINER}. */
export interface FakeExecEngineBehaviour {
  /** Answers any other request (its path without the API version); false when it does not know it. */
  route(path: string, res: ServerResponse): boolean;
  /** The hijacked stream of the exec, once upgraded. */
  onUpgrade(socket: Socket): void;
}

/**
 * Just enough of the Docker Engine API for one exec (`e1`): ping, info, version, an event stream
 * that stays open, the exec's creation and its hijacked stream; the rest is `behaviour`'s. On TCP,
 * not a unix socket: only a TCP connection can be reset (RST) as an engine crash resets it.
 */
export async function startFakeExecEngine(behaviour: FakeExecEngineBehaviour): Promise<Server> {
  const server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? "/").split("?")[0]?.replace(/^\/v[\d.]+/, "") ?? "/";
    req.resume();
    if (path === "/_ping") {
      res.writeHead(200, { "Api-Version": "1.41", "Content-Type": "text/plain" });
      res.end("OK");
    } else if (path === "/info") json(res, 200, { Runtimes: { runc: {} }, SecurityOptions: [] });
    else if (path === "/version") json(res, 200, { Version: "20.10.24", ApiVersion: "1.41" });
    else if (path === "/events") res.writeHead(200, { "Content-Type": "application/json" }).flushHeaders();
    else if (path === `/containers/${FAKE_CONTAINER}/exec`) json(res, 201, { Id: "e1" });
    else if (!behaviour.route(path, res)) json(res, 404, { message: `no fake for ${req.method} ${path}` });
  });
  server.on("upgrade", (_req: IncomingMessage, socket: Socket) => {
    socket.on("error", () => undefined);
    socket.write(
      "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    );
    behaviour.onUpgrade(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** The Docker driver connected to a fake engine. */
export function connectToFake(server: Server): Promise<DockerRuntime> {
  return DockerRuntime.connect({
    endpoint: { kind: "tcp", host: "127.0.0.1", port: (server.address() as AddressInfo).port },
  });
}

/** Stops a fake engine, cutting what is still connected. */
export async function stopFakeEngine(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
