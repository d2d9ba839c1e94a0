/**
 * A unix-socket proxy in front of a container engine: it counts the HTTP requests and connections
 * going through it (bench: the request profile, never the timed rounds, since it adds a hop), and it
 * can make the engine go away and come back (tests: what the gateway does when its runtime dies).
 *
 * Request lines are found by scanning what the client sends for `METHOD /path HTTP/1.x`: good enough
 * for the engine API, whose bodies are JSON and whose hijacked streams here carry no stdin.
 */
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REQUEST_LINE = /(?:^|\r\n)(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP\/1\.[01]\r\n/g;

export interface RequestCounts {
  connections: number;
  /** `METHOD /path` (API version, ids and query stripped) to how many times it was called. */
  requests: Map<string, number>;
}

export interface EngineProxy {
  readonly socketPath: string;
  /** The counts since the last take, and starts counting afresh. */
  take(): RequestCounts;
  /**
   * The engine goes away: every open connection (streams included) is cut, and the socket is gone
   * until restore(), so a new connection fails as it does when the engine is not running.
   */
  cut(): Promise<void>;
  /** The engine is back: the socket accepts connections again. */
  restore(): Promise<void>;
  /**
   * The engine dies in the middle of the next request whose normalized `METHOD /path` matches: the
   * engine does the work, but its answer never arrives (the connection is cut instead). Resolves
   * once that has happened.
   */
  loseAnswerTo(request: RegExp): Promise<void>;
  close(): Promise<void>;
}

export async function startEngineProxy(targetSocket: string): Promise<EngineProxy> {
  const dir = mkdtempSync(join(tmpdir(), "openshell-engine-proxy-"));
  const socketPath = join(dir, "engine.sock");
  let counts: RequestCounts = { connections: 0, requests: new Map() };
  const open = new Set<Socket>();
  let loseAnswer: { request: RegExp; lost: () => void } | undefined;

  const onConnection = (client: Socket) => {
    counts.connections++;
    const upstream = connect(targetSocket);
    open.add(client);
    open.add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("data", (chunk: Buffer) => {
      for (const match of chunk.toString("latin1").matchAll(REQUEST_LINE)) {
        const key = `${match[1]} ${normalizePath(match[2] ?? "")}`;
        counts.requests.set(key, (counts.requests.get(key) ?? 0) + 1);
        const lose = loseAnswer;
        if (lose?.request.test(key)) {
          loseAnswer = undefined;
          // The request goes on to the engine; the first bytes of its answer end the connection.
          upstream.unpipe(client);
          upstream.once("data", () => {
            done();
            lose.lost();
          });
          upstream.resume();
        }
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", done).on("close", done);
    upstream.on("error", done).on("close", done);
  };

  let server: Server | undefined;
  const listen = async () => {
    const listening = createServer(onConnection);
    listening.listen(socketPath);
    await once(listening, "listening");
    server = listening;
  };
  const stop = async () => {
    const closing = server;
    server = undefined;
    if (closing === undefined) return;
    // Closing a unix socket server removes its socket file: connecting then fails with ENOENT.
    closing.close();
    for (const socket of open) socket.destroy();
    open.clear();
    await once(closing, "close");
  };
  await listen();

  return {
    socketPath,
    take() {
      const taken = counts;
      counts = { connections: 0, requests: new Map() };
      return taken;
    },
    cut: stop,
    async restore() {
      if (server === undefined) await listen();
    },
    loseAnswerTo(request) {
      return new Promise((resolve) => {
        loseAnswer = { request, lost: resolve };
      });
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function normalizePath(path: string): string {
  return (path.split("?")[0] ?? "").replace(/^\/v\d+\.\d+/, "").replace(/[0-9a-f]{64}/g, "{id}");
}
