import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A container as the fake engine inspects it; absent ones answer 404. */
export interface FakeContainer {
  id: string;
  name: string;
  running: boolean;
  exitCode: number;
}

/**
 * Just enough of the Docker Engine API, on a real unix socket, for the container watchdog: the
 * event stream (held open until dropped) and container inspect. It counts what it is asked and
 * can drop the event streams, hold back their answer, or go away altogether.
 */
export interface FakeEventEngine {
  readonly socketPath: string;
  readonly containers: Map<string, FakeContainer>;
  /** Requests so far: `events` and `inspect`, and the filters each event stream asked for. */
  readonly asked: { events: number; inspect: number; filters: unknown[] };
  /** Event streams open now. */
  openEventStreams(): number;
  /** Sends a container event (`die`, `destroy`, ...) on every open event stream. */
  emit(action: string, container: FakeContainer): void;
  /** Ends every open event stream, as an engine dropping it does. */
  dropEventStreams(): void;
  /** Until called again with false, event streams are accepted but answer nothing. */
  holdEventAnswers(hold: boolean): void;
  /** The engine goes away: open streams are cut and new connections are refused (ENOENT). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeEventEngine(): Promise<FakeEventEngine> {
  const dir = mkdtempSync(join(tmpdir(), "openshell-fake-engine-"));
  const socketPath = join(dir, "engine.sock");
  const containers = new Map<string, FakeContainer>();
  const asked = { events: 0, inspect: 0, filters: [] as unknown[] };
  const streams = new Set<ServerResponse>();
  let holding = false;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://engine");
    const path = url.pathname.replace(/^\/v[\d.]+/, "");
    if (path === "/events") {
      asked.events++;
      asked.filters.push(JSON.parse(url.searchParams.get("filters") ?? "null"));
      streams.add(res);
      res.on("close", () => streams.delete(res));
      if (!holding) res.writeHead(200, { "Content-Type": "application/json" }).flushHeaders();
      return;
    }
    const inspect = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (inspect) {
      asked.inspect++;
      const ref = decodeURIComponent(inspect[1] ?? "");
      // As Docker resolves a reference: full id, then exact name, then id prefix.
      const all = [...containers.values()];
      const found =
        all.find((c) => c.id === ref) ??
        all.find((c) => c.name === ref) ??
        all.find((c) => c.id.startsWith(ref));
      if (found === undefined) {
        res
          .writeHead(404, { "Content-Type": "application/json" })
          .end(`{"message":"No such container: ${ref}"}`);
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(
        JSON.stringify({
          Id: found.id,
          Name: `/${found.name}`,
          State: { Running: found.running, ExitCode: found.exitCode },
        }),
      );
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(socketPath);
  await once(server, "listening");

  const stop = async () => {
    if (!server.listening) return;
    const closed = once(server, "close");
    server.close();
    server.closeAllConnections();
    await closed;
  };

  return {
    socketPath,
    containers,
    asked,
    openEventStreams: () => streams.size,
    emit(action, container) {
      const message = {
        status: action,
        id: container.id,
        Type: "container",
        Action: action,
        Actor: {
          ID: container.id,
          Attributes: {
            name: container.name,
            ...(action === "die" ? { exitCode: String(container.exitCode) } : {}),
          },
        },
        time: Math.floor(Date.now() / 1000),
      };
      for (const res of streams) res.write(`${JSON.stringify(message)}\n`);
    },
    dropEventStreams() {
      for (const res of streams) res.end();
    },
    holdEventAnswers(hold) {
      holding = hold;
    },
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
