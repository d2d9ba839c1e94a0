import type { IncomingMessage } from "node:http";
import { posix } from "node:path";
import { Readable } from "node:stream";
import type Docker from "dockerode";
import { CanceledError, InvalidArgumentError, ProtocolError } from "../../../errors.js";
import type {
  ArchivePathStat,
  ArchiveStream,
  ArchiveView,
  GetArchiveOptions,
  PutArchiveOptions,
} from "../../archive-types.js";
import type { RuntimeKind } from "../../runtime-info.js";
import { callerArchive } from "./caller-archive.js";
import { type EngineSocketAddress, readEngineBody } from "./engine-body-reader.js";
import { dial } from "./engine-client.js";
import type { EngineContext } from "./engine-context.js";
import { ReusedArchiveStream } from "./reused-archive-stream.js";

/** Checks an archive call's container path: absolute, without NUL. */
export function checkArchivePath(path: unknown): string {
  if (typeof path !== "string" || !path.startsWith("/") || path.includes("\0")) {
    throw new InvalidArgumentError(
      `path must be an absolute container path without NUL, got ${JSON.stringify(path)}`,
      { field: "path" },
    );
  }
  return path;
}

/**
 * `PUT /containers/{id}/archive?path=`: unpacks a tar stream into a container directory, streamed
 * (never whole in memory). Resolves once the engine has unpacked all of it. Aborting the signal
 * ends the request (the engine stops unpacking; entries already written stay).
 */
export async function putEngineArchive(
  engine: EngineContext,
  id: string,
  options: PutArchiveOptions,
): Promise<void> {
  const what = `copy an archive into ${options.path} in container ${id}`;
  const body = options.archive instanceof Readable ? options.archive : Readable.from(options.archive);
  const signal = options.signal;
  try {
    signal?.throwIfAborted();
    await engine.call(what, () =>
      // dockerode's putArchive sets Content-Type: application/x-tar, without which both engines
      // answer 200 and unpack nothing.
      engine.docker.getContainer(id).putArchive(body, {
        path: options.path,
        ...(signal === undefined ? {} : { abortSignal: signal }),
      }),
    );
  } catch (error) {
    body.destroy();
    if (signal?.aborted)
      throw new CanceledError(`${what}: canceled by the caller's signal`, { cause: error });
    throw error;
  }
}

/**
 * `GET /containers/{id}/archive?path=`: a tar stream of a container path, as the engine writes it.
 * Resolves once the engine has answered, so a missing path is a NotFoundError here. The request's
 * abort surfaces mid-stream as a bare ECONNRESET, so the stream ends with a CanceledError instead;
 * a caller who stops reading early (destroys it, breaks out of a loop) closes the request.
 * With `reuseBuffers` on a unix-socket or plain-TCP endpoint the answer is read on a socket of its
 * own into a small pool of reused buffers (engine-body-reader.ts); TLS and ssh endpoints go through
 * dockerode as without it (their chunks are fresh, which the option's contract allows).
 */
export async function getEngineArchive(
  engine: EngineContext,
  id: string,
  options: GetArchiveOptions,
): Promise<ArchiveStream> {
  const what = `copy ${options.path} out of container ${id}`;
  const signal = options.signal;
  if (options.reuseBuffers !== undefined && typeof options.reuseBuffers !== "boolean") {
    throw new InvalidArgumentError(
      `reuseBuffers must be true or false, got ${JSON.stringify(options.reuseBuffers)}`,
      { field: "reuseBuffers" },
    );
  }
  const direct = options.reuseBuffers ? directAddress(engine.docker) : undefined;
  if (direct !== undefined) {
    const query = new URLSearchParams({ path: options.path }).toString();
    const body = await readEngineBody({
      address: direct.address,
      target: `${direct.prefix}/containers/${encodeURIComponent(id)}/archive?${query}`,
      what,
      mapError: (error) => engine.error(error, what),
      signal,
    });
    return new ReusedArchiveStream(body);
  }
  const response = await engine.call(what, () =>
    dial<Readable>(engine.docker, {
      method: "GET",
      path: `/containers/${encodeURIComponent(id)}/archive?`,
      query: { path: options.path },
      okStatuses: [200],
      stream: true,
      ...(signal === undefined ? {} : { signal }),
    }),
  );
  return callerArchive(engine, what, response, signal);
}

/** What of dockerode's modem says where its requests go (its typings leave the modem untyped). */
interface ModemAddress {
  socketPath?: unknown;
  host?: unknown;
  port?: unknown;
  protocol?: unknown;
  version?: unknown;
}

/**
 * Where the driver's client sends its requests, for a socket opened beside it: the unix socket or
 * plain-TCP host, and the API version prefix the modem puts before every path (none unless the
 * client was made with a version). Undefined for TLS and ssh, which stay with dockerode.
 */
function directAddress(docker: Docker): { address: EngineSocketAddress; prefix: string } | undefined {
  const modem = docker.modem as ModemAddress;
  const prefix = typeof modem.version === "string" && modem.version !== "" ? `/${modem.version}` : "";
  if (typeof modem.socketPath === "string" && modem.socketPath !== "")
    return { address: { path: modem.socketPath }, prefix };
  const port = Number(modem.port);
  if (modem.protocol === "http" && typeof modem.host === "string" && Number.isInteger(port) && port > 0)
    return { address: { host: modem.host, port }, prefix };
  return undefined;
}

/** The `X-Docker-Container-Path-Stat` header's JSON: Go's os.FileMode in `mode`. */
interface EnginePathStat {
  name?: unknown;
  size?: unknown;
  mode?: unknown;
  mtime?: unknown;
}

// Go's os.FileMode type bits, as both engines put them in `mode` (BigInt: they pass 2^31).
const GO_MODE_DIR = 1n << 31n;
const GO_MODE_SYMLINK = 1n << 27n;
// Device, named pipe, socket, character device, irregular.
const GO_MODE_OTHER = (1n << 26n) | (1n << 25n) | (1n << 24n) | (1n << 21n) | (1n << 19n);

function pathType(mode: number): ArchivePathStat["type"] {
  const bits = BigInt(mode);
  if (bits & GO_MODE_DIR) return "directory";
  if (bits & GO_MODE_SYMLINK) return "symlink";
  if (bits & GO_MODE_OTHER) return "other";
  return "file";
}

/**
 * `HEAD /containers/{id}/archive?path=`: the engine's stat of a container path, from the
 * `X-Docker-Container-Path-Stat` header (base64 JSON); a missing path is a NotFoundError.
 */
export async function statEngineArchive(
  engine: EngineContext,
  id: string,
  options: GetArchiveOptions,
): Promise<ArchivePathStat> {
  const what = `look up ${options.path} in container ${id}`;
  const signal = options.signal;
  const response = await engine.call(what, () =>
    dial<IncomingMessage>(engine.docker, {
      method: "HEAD",
      path: `/containers/${encodeURIComponent(id)}/archive?`,
      query: { path: options.path },
      okStatuses: [200],
      stream: true,
      ...(signal === undefined ? {} : { signal }),
    }),
  );
  response.resume();
  const header = response.headers["x-docker-container-path-stat"];
  let parsed: EnginePathStat | undefined;
  try {
    parsed =
      typeof header === "string" ? JSON.parse(Buffer.from(header, "base64").toString("utf8")) : undefined;
  } catch {
    parsed = undefined;
  }
  const { name, size, mode, mtime } = parsed ?? {};
  if (
    typeof name !== "string" ||
    typeof size !== "number" ||
    typeof mode !== "number" ||
    !Number.isSafeInteger(mode) ||
    mode < 0
  ) {
    throw new ProtocolError(
      `${what}: the engine's answer has no readable X-Docker-Container-Path-Stat header`,
    );
  }
  return {
    name,
    size,
    type: pathType(mode),
    permissions: Number(BigInt(mode) & 0o777n),
    mtime: new Date(typeof mtime === "string" ? mtime : 0),
  };
}

/** What `docker inspect` says of a container's mounts and root, as the archive API cares. */
interface InspectedFilesystem {
  readOnlyRoot: boolean;
  tmpfs: string[];
  /** Volumes and binds: writable unless mounted read-only. */
  mounts: { destination: string; writable: boolean }[];
}

function inspectedFilesystem(inspect: Docker.ContainerInspectInfo): InspectedFilesystem {
  const tmpfs = Object.keys(inspect.HostConfig?.Tmpfs ?? {});
  const mounts: InspectedFilesystem["mounts"] = [];
  for (const mount of inspect.Mounts ?? []) {
    if ((mount.Type as string) === "tmpfs") tmpfs.push(mount.Destination);
    else mounts.push({ destination: mount.Destination, writable: mount.RW });
  }
  return { readOnlyRoot: inspect.HostConfig?.ReadonlyRootfs ?? false, tmpfs, mounts };
}

/** Whether `path` is `mount` or under it. */
function under(path: string, mount: string): boolean {
  const p = posix.normalize(path);
  const m = posix.normalize(mount).replace(/(.)\/+$/, "$1");
  return m === "/" || p === m || p.startsWith(`${m}/`);
}

/**
 * How the engine's archive API sees a container (see ArchiveView for the facts behind it): Podman
 * as the container does; Docker outside tmpfs mounts only, and for writes only on a writable root
 * or in a writable volume or bind (the innermost mount holding the path decides).
 */
export function engineArchiveView(kind: RuntimeKind, inspect: Docker.ContainerInspectInfo): ArchiveView {
  if (kind === "podman") return { reads: () => true, writes: () => true, readsTree: () => true };
  const fs = inspectedFilesystem(inspect);
  const onTmpfs = (path: string) => fs.tmpfs.some((mount) => under(path, mount));
  const innermost = (path: string) =>
    fs.mounts
      .filter((mount) => under(path, mount.destination))
      .sort((a, b) => b.destination.length - a.destination.length)[0];
  return {
    reads: (path) => !onTmpfs(path),
    readsTree: (path) => !onTmpfs(path) && !fs.tmpfs.some((mount) => under(mount, path)),
    writes: (path) => {
      if (onTmpfs(path)) return false;
      const mount = innermost(path);
      return mount === undefined ? !fs.readOnlyRoot : mount.writable;
    },
  };
}
