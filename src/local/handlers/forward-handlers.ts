import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { OpenShell, SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";
import { invalidArgument as invalid } from "../protocol/gateway-errors.js";
import { requireReady } from "../protocol/ready-sandbox.js";
import { openingFrame } from "../streams/opening-frame.js";
import { relayTcp } from "../streams/tcp-relay.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** The gateway's limits on concurrent ForwardTcp streams (SEMANTICS.md section 4). */
export const FORWARD_LIMITS = { perToken: 3, perSandbox: 20 } as const;
/** How long a token from CreateSshSession is valid. */
export const SSH_SESSION_TTL_MS = 60 * 60 * 1000;

/** A sandbox as forwarding needs it. */
export interface ForwardTarget {
  id: string;
  /** Tokens are issued only while the sandbox is READY. */
  phase: SandboxPhase;
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
    // Upstream's order: the id is required, the sandbox must exist (NOT_FOUND), then be READY.
    async createSshSession(req) {
      if (req.sandboxId === "") throw invalid("sandbox_id is required");
      const sandbox = requireReady(backend.sandbox(req.sandboxId));
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

    // As upstream: an empty token is the caller's mistake; revoking is idempotent (a token already
    // revoked answers true again); only a token this gateway never issued (or forgot) answers false.
    async revokeSshSession(req) {
      if (req.token === "") throw invalid("token is required");
      const session = sessions.get(req.token);
      if (!session) return { revoked: false };
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
      try {
        yield* relayTcp(target, iterator, ctx.signal, backend.shutdown);
      } finally {
        session.forwards--;
        sandbox.forwards--;
      }
    },
  };
}
