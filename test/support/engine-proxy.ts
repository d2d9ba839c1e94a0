/**
 * A unix-socket proxy in front of a container engine: it counts the HTTP requests and connections
 * going through it (bench: the request profile, never the timed rounds, since it adds a hop), and it
 * can make the engine go away and come back (tests: what the gateway does when its runtime dies).
 *
 * Request lines are found by scanning what the client sends for `METHOD /path HTTP/1.x`: good enough
 * for the engine API, whose bodies are JSON and whose hijacked streams here carry no stdin.
 *
 * It can also play an engine that misbehaves on one kind of connection: cut only those (the event
 * stream dropping while everything else answers), or leave them open after the engine has ended
 * them (what some engines do to an exec's or a log's stream when the container dies under it).
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
   * once that has happened. With `thenCut`, nothing the engine sends on any connection reaches the
   * client from the moment that request is on its way, and the engine is gone (as `cut()`) when its
   * answer comes: no event or inspect tells the client what the engine did.
   */
  loseAnswerTo(request: RegExp, options?: { thenCut?: boolean }): Promise<void>;
  /**
   * Cuts the open connections whose normalized `METHOD /path` (of a request made on them) matches,
   * as if the engine dropped them; everything else stays up. Says how many were cut.
   */
  cutConnections(request: RegExp): number;
  /**
   * From now on, when the engine ends a connection whose request matches, the client's side stays
   * open and silent until the client closes it: an engine that never ends that stream. The function
   * it returns stops that for connections opened after.
   */
  neverEnd(request: RegExp): () => void;
  /**
   * What the engine sends on the open connections whose request matches stops reaching the client
   * (the connection stays up): events the engine sends there are lost. Says how many were silenced.
   */
  silence(request: RegExp): number;
  close(): Promise<void>;
}

/** One client connection and what the proxy knows and does about it. */
interface Link {
  client: Socket;
  /** The normalized `METHOD /path` of each request made on it. */
  requests: string[];
  /** The engine's end of it does not reach the client (neverEnd). */
  held: boolean;
  /** On a held connection, bytes that may be the start of the answer's end, kept back. */
  keptBack?: Buffer;
  /** On a held connection, the last bytes passed on (where the empty last chunk would follow). */
  sentTail?: Buffer;
  /** On a held connection, once its headers are in: whether the answer streams or is all swallowed. */
  answer?: "streaming" | "swallowed";
  /** The engine's bytes do not reach the client (silence). */
  silenced: boolean;
  /** Set when the engine's answer on it is to be lost (loseAnswerTo): called as it is. */
  lose?: () => void;
}

export async function startEngineProxy(targetSocket: string): Promise<EngineProxy> {
  const dir = mkdtempSync(join(tmpdir(), "openshell-engine-proxy-"));
  const socketPath = join(dir, "engine.sock");
  let counts: RequestCounts = { connections: 0, requests: new Map() };
  const open = new Set<Socket>();
  const links = new Set<Link>();
  let loseAnswer: { request: RegExp; lost: () => void; thenCut: boolean } | undefined;
  const neverEnding: RegExp[] = [];
  /** Set by a `thenCut` loss once its request is on its way: no answer reaches the client any more. */
  let frozen = false;

  const onConnection = (client: Socket) => {
    counts.connections++;
    const upstream = connect(targetSocket);
    const link: Link = { client, requests: [], held: false, silenced: frozen };
    open.add(client);
    open.add(upstream);
    links.add(link);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
      links.delete(link);
    };
    client.on("data", (chunk: Buffer) => {
      for (const match of chunk.toString("latin1").matchAll(REQUEST_LINE)) {
        const key = `${match[1]} ${normalizePath(match[2] ?? "")}`;
        link.requests.push(key);
        counts.requests.set(key, (counts.requests.get(key) ?? 0) + 1);
        if (neverEnding.some((request) => request.test(key))) link.held = true;
        const lose = loseAnswer;
        if (lose?.request.test(key)) {
          loseAnswer = undefined;
          if (lose.thenCut) {
            // The engine is dying while it works on this request: whatever it answers on any other
            // connection from now on (an event, an inspect) is lost too, as it would be.
            frozen = true;
            for (const other of links) if (other !== link) other.silenced = true;
          }
          // The request goes on to the engine; the first bytes of its answer end the connection.
          link.lose = () => {
            // Synchronously, before any other connection's bytes are relayed.
            if (lose.thenCut) void stop();
            lose.lost();
          };
        }
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      if (link.lose !== undefined) {
        done();
        link.lose();
        return;
      }
      if (link.silenced) return;
      // A held connection passes the engine's bytes on, but not the engine's end of them.
      let send = chunk;
      if (link.held) {
        const split = withoutEnd(link, chunk);
        send = split.send;
        link.keptBack = split.keep;
      }
      if (!client.write(send)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
    client.pipe(upstream);
    client.on("error", done).on("close", done);
    upstream.on("end", () => {
      if (!link.held) client.end();
    });
    const upstreamGone = () => {
      if (!link.held) return done();
      upstream.destroy();
      open.delete(upstream);
    };
    upstream.on("error", upstreamGone).on("close", upstreamGone);
  };

  /** The open connections on which a request matching `request` was made. */
  const linksOf = (request: RegExp) =>
    [...links].filter((link) => link.requests.some((key) => request.test(key)));

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
      frozen = false;
      if (server === undefined) await listen();
    },
    loseAnswerTo(request, options = {}) {
      return new Promise((resolve) => {
        loseAnswer = { request, lost: resolve, thenCut: options.thenCut ?? false };
      });
    },
    cutConnections(request) {
      const cut = linksOf(request);
      for (const link of cut) link.client.destroy();
      return cut.length;
    },
    silence(request) {
      const silenced = linksOf(request);
      for (const link of silenced) link.silenced = true;
      return silenced.length;
    },
    neverEnd(request) {
      neverEnding.push(request);
      return () => {
        const at = neverEnding.indexOf(request);
        if (at !== -1) neverEnding.splice(at, 1);
      };
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How a chunked response ends: the last data chunk's CRLF, then the empty chunk `0` CRLF CRLF. */
const LAST_CHUNK = Buffer.from("\r\n0\r\n\r\n", "latin1");

/**
 * For a held connection: what of the engine's bytes to pass on now, and what to keep back, so that
 * the end of its answer never reaches the client. An answer with a fixed length is all end (an
 * engine that flushes nothing before the stream is over sends its headers only then): none of it
 * goes. Of a chunked answer, the empty last chunk stays back; the engine may write it in pieces, so
 * a tail that could be its start (`CRLF 0`, ...) waits for the next bytes.
 */
function withoutEnd(link: Link, chunk: Buffer): { send: Buffer; keep: Buffer } {
  const all = Buffer.concat([link.keptBack ?? Buffer.alloc(0), chunk]);
  const none = Buffer.alloc(0);
  if (link.answer === undefined) {
    const headersEnd = all.indexOf("\r\n\r\n");
    if (headersEnd === -1) return { send: none, keep: all };
    const fixedLength = /\r\ncontent-length:/i.test(all.subarray(0, headersEnd).toString("latin1"));
    link.answer = fixedLength ? "swallowed" : "streaming";
  }
  if (link.answer === "swallowed") return { send: none, keep: none };
  // What was passed on last counts too: the empty chunk may come alone after a CRLF already sent.
  const seen = Buffer.concat([link.sentTail ?? none, all]);
  let keep = 0;
  if (seen.subarray(-LAST_CHUNK.length).equals(LAST_CHUNK)) {
    keep = LAST_CHUNK.length - 2;
  } else {
    for (let n = LAST_CHUNK.length - 1; n >= 3 && keep === 0; n--) {
      if (seen.subarray(-n).equals(LAST_CHUNK.subarray(0, n))) keep = Math.min(n, all.length);
    }
  }
  const send = all.subarray(0, all.length - keep);
  link.sentTail = Buffer.concat([link.sentTail ?? none, send]).subarray(-2);
  // The empty chunk itself is dropped; a tail that may yet become it waits.
  const complete = seen.subarray(-LAST_CHUNK.length).equals(LAST_CHUNK);
  return { send, keep: complete ? none : all.subarray(all.length - keep) };
}

function normalizePath(path: string): string {
  return (path.split("?")[0] ?? "").replace(/^\/v\d+\.\d+/, "").replace(/[0-9a-f]{64}/g, "{id}");
}
