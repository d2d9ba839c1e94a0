import { createServer, type Http2Session } from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { OpenShell as OpenShellService, SandboxPhase } from "../../src/gen/openshell/v1/openshell_pb.js";
import {
  type ForwardBackend,
  forwardHandlers,
  type SshSession,
} from "../../src/local/handlers/forward-handlers.js";
import { promptStreamHeaders } from "../../src/local/protocol/prompt-stream-headers.js";

export interface ForwardGatewayOptions {
  /** CreateSshSession waits for this before it answers (a slow gateway). */
  sessionGate?: () => Promise<void>;
  /** Each token's lifetime; default one hour. */
  sessionTtlMs?: number;
}

/** A plaintext HTTP/2 gateway with one READY sandbox whose loopback is this host's, and its call log. */
export interface ForwardGateway {
  endpoint: string;
  sandboxName: string;
  sandboxId: string;
  /** Tokens CreateSshSession issued, in order. */
  issued: string[];
  /** Tokens RevokeSshSession was asked to revoke, in order. */
  revoked: string[];
  /** GetSandbox calls answered. */
  lookups: number;
  close(): Promise<void>;
}

/**
 * The gateway's real CreateSshSession / RevokeSshSession / ForwardTcp handlers over real HTTP/2 and
 * real sockets, with a sandbox that is simply this host (forwards dial 127.0.0.1), and the two knobs
 * the client's forward tests need: a slow CreateSshSession and short-lived tokens.
 */
export async function startForwardGateway(options: ForwardGatewayOptions = {}): Promise<ForwardGateway> {
  const sandboxId = "33333333-3333-4333-8333-333333333333";
  const sandboxName = "fwd";
  const shutdown = new AbortController();
  const target = { id: sandboxId, phase: SandboxPhase.READY, forwards: 0 };
  const backend: ForwardBackend = {
    sandbox: () => target,
    address: (_id, port) => ({ host: "127.0.0.1", port }),
    endpoint: () => new URL(gateway.endpoint),
    shutdown: shutdown.signal,
  };
  const sessions = new Map<string, SshSession>();
  const real = forwardHandlers(backend, sessions);
  const gateway: ForwardGateway = {
    endpoint: "",
    sandboxName,
    sandboxId,
    issued: [],
    revoked: [],
    lookups: 0,
    close: async () => {},
  };
  const handler = connectNodeAdapter({
    routes: promptStreamHeaders((router) =>
      router.service(OpenShellService, {
        getSandbox: (req) => {
          gateway.lookups++;
          return {
            sandbox: {
              metadata: { id: sandboxId, name: req.name },
              status: { phase: SandboxPhase.READY },
            },
          };
        },
        async createSshSession(req, ctx) {
          await options.sessionGate?.();
          const res = await real.createSshSession?.(req, ctx);
          if (!res) throw new Error("the forward handlers have no createSshSession");
          const token = res.token ?? "";
          const session = sessions.get(token);
          if (session && options.sessionTtlMs !== undefined) {
            session.expiresAtMs = Date.now() + options.sessionTtlMs;
            res.expiresAtMs = BigInt(session.expiresAtMs);
          }
          gateway.issued.push(token);
          return res;
        },
        async revokeSshSession(req, ctx) {
          gateway.revoked.push(req.token);
          const res = await real.revokeSshSession?.(req, ctx);
          if (!res) throw new Error("the forward handlers have no revokeSshSession");
          return res;
        },
        forwardTcp: (frames, ctx) => {
          if (!real.forwardTcp) throw new Error("the forward handlers have no forwardTcp");
          return real.forwardTcp(frames, ctx);
        },
      }),
    ),
  });
  const server = createServer(handler);
  const h2sessions = new Set<Http2Session>();
  server.on("session", (s) => {
    h2sessions.add(s);
    s.once("close", () => h2sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  gateway.endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  gateway.close = () =>
    new Promise<void>((resolve) => {
      shutdown.abort(new Error("gateway closed"));
      for (const s of h2sessions) s.destroy();
      server.close(() => resolve());
    });
  return gateway;
}
