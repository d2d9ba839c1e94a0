/**
 * A unix-socket proxy in front of the engine that counts the HTTP requests and connections going
 * through it, for the request profile (never for the timed rounds: it adds a hop).
 *
 * Request lines are found by scanning what the client sends for `METHOD /path HTTP/1.x`: good enough
 * for the engine API, whose bodies are JSON and whose hijacked streams here carry no stdin.
 */
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REQUEST_LINE = /(?:^|\r\n)(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP\/1\.[01]\r\n/g;

export interface RequestCounts {
  connections: number;
  /** `METHOD /path` (API version, ids and query stripped) to how many times it was called. */
  requests: Map<string, number>;
}

export interface CountingProxy {
  readonly socketPath: string;
  /** The counts since the last take, and starts counting afresh. */
  take(): RequestCounts;
  close(): Promise<void>;
}

export async function startCountingProxy(targetSocket: string): Promise<CountingProxy> {
  const dir = mkdtempSync(join(tmpdir(), "openshell-bench-proxy-"));
  const socketPath = join(dir, "engine.sock");
  let counts: RequestCounts = { connections: 0, requests: new Map() };
  const open = new Set<Socket>();

  const server = createServer((client) => {
    counts.connections++;
    const upstream = connect(targetSocket);
    open.add(client);
    open.add(upstream);
    client.on("data", (chunk: Buffer) => {
      for (const match of chunk.toString("latin1").matchAll(REQUEST_LINE)) {
        const key = `${match[1]} ${normalizePath(match[2] ?? "")}`;
        counts.requests.set(key, (counts.requests.get(key) ?? 0) + 1);
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", done).on("close", done);
    upstream.on("error", done).on("close", done);
  });
  server.listen(socketPath);
  await once(server, "listening");

  return {
    socketPath,
    take() {
      const taken = counts;
      counts = { connections: 0, requests: new Map() };
      return taken;
    },
    async close() {
      for (const socket of open) socket.destroy();
      server.close();
      await once(server, "close");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function normalizePath(path: string): string {
  return (path.split("?")[0] ?? "").replace(/^\/v\d+\.\d+/, "").replace(/[0-9a-f]{64}/g, "{id}");
}
