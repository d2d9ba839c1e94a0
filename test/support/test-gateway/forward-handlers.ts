import { randomBytes } from "node:crypto";
import { isIP, connect as tcpConnect } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type OpenShell,
  SandboxPhase,
  type TcpForwardFrame,
  TcpForwardFrameSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { invalid } from "../../../src/local/protocol/validation.js";
import { AsyncQueue } from "./async-queue.js";
import type { GatewayState } from "./gateway-state.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** Upstream limits on concurrent ForwardTcp streams (SEMANTICS.md §4). */
export const forwardLimits = { perToken: 3, perSandbox: 20 } as const;
/** How long a token from CreateSshSession is valid. */
export const sshSessionTtlMs = 60 * 60 * 1000;
const highWater = 64;

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "::1" || bare === "0:0:0:0:0:0:0:1";
}

export function forwardHandlers(state: GatewayState, endpoint: () => URL): Handlers {
  return {
    async createSshSession(req) {
      const record = state.sandboxById(req.sandboxId);
      const token = randomBytes(24).toString("base64url");
      const expiresAtMs = Date.now() + sshSessionTtlMs;
      state.sshSessions.set(token, { sandboxId: record.id, expiresAtMs, revoked: false, forwards: 0 });
      const url = endpoint();
      return {
        sandboxId: record.id,
        token,
        gatewayHost: url.hostname,
        gatewayPort: Number(url.port),
        gatewayScheme: url.protocol.replace(":", ""),
        expiresAtMs: BigInt(expiresAtMs),
      };
    },

    async revokeSshSession(req) {
      const session = state.sshSessions.get(req.token);
      if (!session || session.revoked) return { revoked: false };
      session.revoked = true;
      return { revoked: true };
    },

    async *forwardTcp(frames, ctx) {
      const iterator = frames[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done || first.value.payload.case !== "init") {
        throw invalid("the first TcpForwardFrame must be init");
      }
      const init = first.value.payload.value;
      const session = state.sshSessions.get(init.authorizationToken);
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
      const record = state.sandboxById(init.sandboxId);
      if (record.phase !== SandboxPhase.READY) {
        throw new ConnectError("sandbox is not ready", Code.FailedPrecondition);
      }
      if (init.target.case !== "tcp") {
        throw new ConnectError(
          "the test gateway forwards tcp targets only (no ssh relay)",
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
      if (session.forwards >= forwardLimits.perToken) {
        throw new ConnectError(
          `at most ${forwardLimits.perToken} concurrent forwards per token`,
          Code.ResourceExhausted,
        );
      }
      if (record.forwards >= forwardLimits.perSandbox) {
        throw new ConnectError(
          `at most ${forwardLimits.perSandbox} concurrent forwards per sandbox`,
          Code.ResourceExhausted,
        );
      }

      session.forwards++;
      record.forwards++;
      const socket = tcpConnect({ host: host === "localhost" ? "127.0.0.1" : host, port });
      const out = new AsyncQueue<TcpForwardFrame>(() => socket.resume());
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", resolve);
          socket.once("error", (err) =>
            reject(
              new ConnectError(
                `cannot connect to ${host}:${port} in the sandbox: ${err.message}`,
                Code.Unavailable,
              ),
            ),
          );
        });
        socket.on("data", (data: Buffer) => {
          out.push(create(TcpForwardFrameSchema, { payload: { case: "data", value: data } }));
          if (out.size > highWater) socket.pause();
        });
        socket.on("end", () => out.end());
        socket.on("close", () => out.end());
        socket.on("error", (err) =>
          out.fail(
            new ConnectError(`connection to ${host}:${port} failed: ${err.message}`, Code.Unavailable),
          ),
        );
        const onShutdown = () => out.fail(state.shutdown.signal.reason);
        state.shutdown.signal.addEventListener("abort", onShutdown, { once: true });
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
        state.shutdown.signal.removeEventListener("abort", onShutdown);
      } finally {
        socket.destroy();
        session.forwards--;
        record.forwards--;
      }
    },
  };
}
