import { randomBytes } from "node:crypto";
import { isIP, connect as tcpConnect } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type OpenShell,
  type TcpForwardFrame,
  TcpForwardFrameSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import { invalidArgument as invalid } from "../protocol/gateway-errors.js";
import { AsyncQueue } from "../streams/async-queue.js";
import { openingFrame } from "../streams/opening-frame.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** The gateway's limits on concurrent ForwardTcp streams (SEMANTICS.md section 4). */
export const FORWARD_LIMITS = { perToken: 3, perSandbox: 20 } as const;
/** How long a token from CreateSshSession is valid. */
export const SSH_SESSION_TTL_MS = 60 * 60 * 1000;
/** Frames buffered towards the client before the socket is paused. */
const HIGH_WATER = 64;

/** A sandbox as forwarding needs it. */
export interface ForwardTarget {
  id: string;
  /** Open forwards, for the per-sandbox limit; the handler counts up and down. */
  forwards: number;
}

/** Where forwards go: the gateway decides how a port "inside the sandbox" is reached. */
export interface ForwardBackend {
  /** The sandbox (NOT_FOUND when missing). */
  sandbox(sandboxId: string): ForwardTarget;
  /**
   * Where to dial for `port` on the sandbox's loopback; FAILED_PRECONDITION when it is not READY.
   * `host` is the loopback name the client asked for (already checked), for a sandbox that shares
   * the gateway's own loopback.
   */
  address(sandboxId: string, port: number, host: string): { host: string; port: number };
  /** The gateway's own endpoint, returned with each session. */
  endpoint(): URL;
  /** Aborted when the gateway closes. */
  shutdown: AbortSignal;
}

/** A token from CreateSshSession. */
export interface SshSession {
  sandboxId: string;
  expiresAtMs: number;
  revoked: boolean;
  /** Open ForwardTcp streams on this token, for the per-token limit. */
  forwards: number;
}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "::1" || bare === "0:0:0:0:0:0:0:1";
}

/**
 * CreateSshSession / RevokeSshSession tokens and ForwardTcp streams, over any ForwardBackend.
 *
 * @param sessions the tokens, by token. A gateway that passes its own map can drop a deleted sandbox's
 *   tokens from it; by default the handlers keep them (a deleted sandbox's forwards fail NOT_FOUND).
 */
export function forwardHandlers(
  backend: ForwardBackend,
  sessions: Map<string, SshSession> = new Map(),
): Handlers {
  return {
    async createSshSession(req) {
      const sandbox = backend.sandbox(req.sandboxId);
      const token = randomBytes(24).toString("base64url");
      const expiresAtMs = Date.now() + SSH_SESSION_TTL_MS;
      for (const [old, session] of sessions) if (session.expiresAtMs < Date.now()) sessions.delete(old);
      sessions.set(token, { sandboxId: sandbox.id, expiresAtMs, revoked: false, forwards: 0 });
      const url = backend.endpoint();
      return {
        sandboxId: sandbox.id,
        token,
        gatewayHost: url.hostname,
        gatewayPort: Number(url.port),
        gatewayScheme: url.protocol.replace(":", ""),
        expiresAtMs: BigInt(expiresAtMs),
      };
    },

    async revokeSshSession(req) {
      const session = sessions.get(req.token);
      if (!session || session.revoked) return { revoked: false };
      session.revoked = true;
      return { revoked: true };
    },

    async *forwardTcp(frames, ctx) {
      const { value: init, rest: iterator } = await openingFrame(frames, "init", "TcpForwardFrame");
      const session = sessions.get(init.authorizationToken);
      if (init.authorizationToken === "" || !session || session.revoked || session.expiresAtMs < Date.now()) {
        throw new ConnectError(
          "a valid authorization_token from CreateSshSession is required",
          Code.Unauthenticated,
        );
      }
      if (session.sandboxId !== init.sandboxId) {
        throw new ConnectError(
          "the authorization_token was issued for another sandbox",
          Code.PermissionDenied,
        );
      }
      const sandbox = backend.sandbox(init.sandboxId);
      if (init.target.case !== "tcp") {
        throw new ConnectError(
          "this gateway forwards tcp targets only (there is no ssh relay)",
          Code.Unimplemented,
        );
      }
      const { host, port } = init.target.value;
      if (port === 0 || port > 65535) throw invalid(`tcp.port ${port} is not a valid port`);
      // Loopback inside the sandbox is the only address the relay may dial; anything else would be
      // a way around the sandbox's network policy.
      if (!isLoopback(host)) {
        throw new ConnectError(`tcp.host "${host}" is not a loopback address`, Code.PermissionDenied);
      }
      const target = backend.address(sandbox.id, port, host);
      if (session.forwards >= FORWARD_LIMITS.perToken) {
        throw new ConnectError(
          `at most ${FORWARD_LIMITS.perToken} concurrent forwards per token`,
          Code.ResourceExhausted,
        );
      }
      if (sandbox.forwards >= FORWARD_LIMITS.perSandbox) {
        throw new ConnectError(
          `at most ${FORWARD_LIMITS.perSandbox} concurrent forwards per sandbox`,
          Code.ResourceExhausted,
        );
      }

      session.forwards++;
      sandbox.forwards++;
      const socket = tcpConnect(target);
      const out = new AsyncQueue<TcpForwardFrame>(() => socket.resume());
      const onShutdown = () => out.fail(backend.shutdown.reason);
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", resolve);
          socket.once("error", (err) =>
            reject(
              new ConnectError(
                `cannot connect to port ${port} in the sandbox: ${err.message}`,
                Code.Unavailable,
              ),
            ),
          );
        });
        socket.on("data", (data: Buffer) => {
          out.push(create(TcpForwardFrameSchema, { payload: { case: "data", value: data } }));
          if (out.size > HIGH_WATER) socket.pause();
        });
        socket.on("end", () => out.end());
        socket.on("close", () => out.end());
        socket.on("error", (err) =>
          out.fail(new ConnectError(`connection to port ${port} failed: ${err.message}`, Code.Unavailable)),
        );
        backend.shutdown.addEventListener("abort", onShutdown, { once: true });
        ctx.signal.addEventListener("abort", () => out.end(), { once: true });

        // Client to sandbox, with the socket's backpressure; the client's half-close ends our side.
        void (async () => {
          try {
            for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
              const frame = next.value;
              if (frame.payload.case !== "data" || frame.payload.value.length === 0) continue;
              if (!socket.write(frame.payload.value)) {
                await new Promise((resolve) => socket.once("drain", resolve));
              }
            }
            socket.end();
          } catch {
            socket.destroy();
          }
        })();

        yield* out;
      } finally {
        backend.shutdown.removeEventListener("abort", onShutdown);
        socket.destroy();
        session.forwards--;
        sandbox.forwards--;
      }
    },
  };
}
