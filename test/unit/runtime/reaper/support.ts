import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

export interface FakeObject {
  id: string;
  labels: Record<string, string>;
  /** Listed, but already gone by the time it is deleted (the engine answers 404). */
  vanishes?: boolean;
  /** Deleting it fails with this status. */
  refuses?: number;
}

/**
 * A stand-in for a Docker-API engine on a unix socket: just the list and delete endpoints the reaper
 * uses, with the engine's label-filter semantics (every `label` filter must match).
 */
export interface FakeEngine {
  socketPath: string;
  containers: FakeObject[];
  networks: FakeObject[];
  volumes: FakeObject[];
  /** Every request as "METHOD /path?query", in order. */
  requests: string[];
  /** Match objects carrying any of the label filters, as Podman 4 does for volumes. */
  orFilters: boolean;
  /** Answer the next `count` requests with 500, as a busy or restarting engine might. */
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startFakeEngine(dir: string): Promise<FakeEngine> {
  const socketPath = join(dir, `engine-${Math.random().toString(36).slice(2)}.sock`);
  let failing = 0;
  const engine: FakeEngine = {
    socketPath,
    containers: [],
    networks: [],
    volumes: [],
    requests: [],
    orFilters: false,
    failNext(count) {
      failing = count;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const collections = { containers: engine.containers, networks: engine.networks, volumes: engine.volumes };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://engine");
    engine.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const reply = (status: number, body?: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (failing > 0) {
      failing -= 1;
      reply(500, { message: "engine busy" });
      return;
    }
    const filters = JSON.parse(url.searchParams.get("filters") ?? "{}") as { label?: string[] };
    const matchesOne = (object: FakeObject, filter: string): boolean => {
      const [key, ...value] = filter.split("=");
      return value.length === 0 ? key! in object.labels : object.labels[key!] === value.join("=");
    };
    const matches = (object: FakeObject): boolean =>
      engine.orFilters
        ? (filters.label ?? []).some((filter) => matchesOne(object, filter))
        : (filters.label ?? []).every((filter) => matchesOne(object, filter));
    const [, kind, id] = url.pathname.split("/") as [string, keyof typeof collections, string | undefined];
    const collection = collections[kind];
    if (collection === undefined) return reply(404, { message: "no such endpoint" });

    if (req.method === "GET") {
      const listed = collection.filter(matches);
      if (kind === "containers")
        return reply(
          200,
          listed.map((o) => ({ Id: o.id, Labels: o.labels })),
        );
      if (kind === "networks")
        return reply(
          200,
          listed.map((o) => ({ Id: o.id, Name: o.id, Labels: o.labels })),
        );
      return reply(200, { Volumes: listed.map((o) => ({ Name: o.id, Labels: o.labels })), Warnings: null });
    }
    if (req.method === "POST" && kind === "containers" && url.pathname.endsWith("/kill")) {
      const object = collection.find((o) => o.id === decodeURIComponent(id ?? ""));
      return object === undefined ? reply(404, { message: `no such container: ${id}` }) : reply(204);
    }
    if (req.method === "DELETE" && id !== undefined) {
      const index = collection.findIndex((o) => o.id === decodeURIComponent(id));
      const object = collection[index];
      if (object === undefined || object.vanishes) {
        if (object !== undefined) collection.splice(index, 1);
        return reply(404, { message: `no such ${kind}: ${id}` });
      }
      if (object.refuses !== undefined) return reply(object.refuses, { message: "refused" });
      collection.splice(index, 1);
      return reply(204);
    }
    reply(405, { message: "method not allowed" });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return engine;
}

export function labels(sessionId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { "openshell.ai/managed-by": "openshell", "openshell.ai/session": sessionId, ...extra };
}

/** Bundles TypeScript source (imports resolved from the repository root) into a plain .mjs file. */
export async function bundle(
  contents: string,
  outfile: string,
  options: { format?: "esm" | "cjs"; keepNames?: boolean; minify?: boolean } = {},
): Promise<string> {
  await build({
    stdin: { contents, resolveDir: repoRoot, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: options.format ?? "esm",
    keepNames: options.keepNames ?? false,
    minify: options.minify ?? false,
    outfile,
    logLevel: "silent",
  });
  return outfile;
}

/** True while `pid` runs; a zombie (exited, not yet waited for by an init that may never) is not running. */
export function isRunning(pid: number): boolean {
  if (!existsSync("/proc/self/stat")) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}
