import { once, setMaxListeners } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import { CanceledError, InvalidArgumentError, OpenShellError, UnavailableError } from "../../errors.js";
import { type TcpForwardFrame, TcpForwardFrameSchema } from "../../gen/openshell/v1/openshell_pb.js";
import { validate } from "../../validation/validate.js";
import { abortable, linkedSignal } from "../internal/abortable.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import { ForwardTokenPool } from "./forward-token-pool.js";
import { SocketInput } from "./socket-input.js";

/** Options of `sandbox.forward()`. */
export interface ForwardOptions {
  /** Port inside the sandbox. */
  port: number;
  /** Host inside the sandbox to connect to; must be loopback. Default `127.0.0.1`. */
  targetHost?: string;
  /** Local port to listen on; 0 or omitted picks a free one (see `localPort`). */
  localPort?: number;
  /**
   * Cancels opening the forward (it then rejects with `CanceledError`) and, once open, closes it as
   * `close()` does.
   */
  signal?: AbortSignal;
}

/** A local listener on 127.0.0.1 whose connections are tunnelled to a port inside the sandbox. */
export interface PortForward extends AsyncDisposable {
  /** Always `127.0.0.1`: forwards never listen beyond loopback. */
  readonly localHost: string;
  readonly localPort: number;
  /** `http://127.0.0.1:<localPort>`, for HTTP servers. */
  readonly url: string;
  /** Connections currently open through this forward. */
  readonly activeConnections: number;
  /** Stops listening, closes every tunnelled connection and revokes the forward's tokens. */
  close(): Promise<void>;
}

/** @internal Open forwards of one client, closed when the client closes. */
export type ForwardRegistry = Set<{ close(): unknown }>;

const forwardSchema = z
  .object({
    port: z.number().int().min(1).max(65_535),
    targetHost: z
      .string()
      .refine(
        (h) => h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h),
        "must be a loopback address",
      )
      .optional(),
    localPort: z.number().int().min(0).max(65_535).optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

/**
 * Listens on 127.0.0.1 and carries each accepted connection over its own ForwardTcp stream, with a
 * token from CreateSshSession. Tokens are pooled because the gateway allows 3 connections per token.
 *
 * Each direction ends on its own: the local client's FIN ends the request side (the sandbox's port
 * sees a FIN and can still answer), and the end of the gateway's stream is passed on as a FIN to the
 * local client. A connection closes when both have ended; a reset or failure on either side resets
 * the other, so a broken tunnel never looks like a clean end.
 */
export async function openPortForward(
  calls: GatewayCalls,
  sandbox: { name: string; id: () => Promise<string> },
  options: ForwardOptions,
  registry: ForwardRegistry,
): Promise<PortForward> {
  const o = validate(forwardSchema, options, "forward options");
  const operation = `forward to port ${o.port} in sandbox "${sandbox.name}"`;
  const userSignal = o.signal ?? new AbortController().signal;
  if (userSignal.aborted) {
    throw new CanceledError(`${operation}: canceled by the caller's AbortSignal before it started`);
  }
  const sandboxId = await abortable(sandbox.id(), userSignal, operation);
  const closer = new AbortController();
  // Every open connection (and the token pool) listens on it, each removing its listener when it
  // ends: the count is bounded by the connections open, so Node's leak warning at 11 does not apply.
  setMaxListeners(0, closer.signal);
  const tokens = new ForwardTokenPool(calls, sandboxId, sandbox.name, closer.signal);
  const sockets = new Set<Socket>();

  // allowHalfOpen: the local client's FIN must not end our side, which may still carry the reply.
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const connection = new AbortController();
    // Attached before anything can fail: a socket the SDK owns never emits an unhandled 'error'
    // (a local client that resets while its token is being issued would otherwise end the process).
    socket.on("error", (err) => connection.abort(err));
    socket.once("close", () => {
      sockets.delete(socket);
      connection.abort();
    });
    sockets.add(socket);
    socket.setNoDelay(true);
    const input = new SocketInput(socket);
    const signal = linkedSignal(closer.signal, connection.signal);
    tunnel(socket, input, signal.signal)
      .catch(() => socket.resetAndDestroy())
      .finally(() => signal.dispose());
  });
  server.on("error", () => {});

  async function tunnel(socket: Socket, input: SocketInput, signal: AbortSignal): Promise<void> {
    const lease = await tokens.acquire(signal);
    try {
      async function* frames(): AsyncGenerator<TcpForwardFrame> {
        yield create(TcpForwardFrameSchema, {
          payload: {
            case: "init",
            value: {
              sandboxId,
              target: { case: "tcp", value: { host: o.targetHost ?? "127.0.0.1", port: o.port } },
              authorizationToken: lease.token,
            },
          },
        });
        // Ends at the local client's FIN, which half-closes the stream.
        for await (const chunk of input) {
          yield create(TcpForwardFrameSchema, { payload: { case: "data", value: chunk } });
        }
      }
      const stream = calls.stream(operation, { signal }, (c) => calls.openshell.forwardTcp(frames(), c));
      for await (const frame of stream) {
        if (frame.payload.case !== "data") continue;
        if (!socket.write(frame.payload.value)) await once(socket, "drain", { signal });
      }
      // The sandbox's side has ended: a FIN to the local client, whose own end closes the socket.
      socket.end();
      input.discardRest();
    } finally {
      lease.release();
    }
  }

  const onAbort = () => void forward.close();
  try {
    await abortable(
      new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host: "127.0.0.1", port: o.localPort ?? 0 }, () => {
          server.off("error", reject);
          resolve();
        });
      }),
      userSignal,
      operation,
    );
  } catch (err) {
    server.close();
    throw listenError(err, o.localPort ?? 0, operation);
  }
  const address = server.address();
  const localPort = typeof address === "object" && address ? address.port : 0;
  let closing: Promise<void> | undefined;

  const forward: PortForward = {
    localHost: "127.0.0.1",
    localPort,
    url: `http://127.0.0.1:${localPort}`,
    get activeConnections() {
      return sockets.size;
    },
    close() {
      closing ??= (async () => {
        registry.delete(forward);
        userSignal.removeEventListener("abort", onAbort);
        closer.abort();
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await tokens.revokeAll();
      })();
      return closing;
    },
    [Symbol.asyncDispose]: () => forward.close(),
  };
  registry.add(forward);
  userSignal.addEventListener("abort", onAbort, { once: true });
  return forward;
}

/**
 * The local listener could not open: a port that is taken (EADDRINUSE) or not allowed (EACCES) is
 * the caller's `localPort`, named as such; anything else keeps Node's words in an SDK error.
 */
function listenError(err: unknown, localPort: number, operation: string): unknown {
  if (err instanceof OpenShellError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `127.0.0.1:${localPort}`;
  if (code === "EADDRINUSE" || code === "EACCES") {
    const why = code === "EADDRINUSE" ? "is already in use" : "may not be opened by this process";
    return new InvalidArgumentError(
      `invalid forward options.localPort: ${where} ${why} (${code}); pick another port, or 0 for a free one`,
      { field: "localPort", cause: err },
    );
  }
  return new UnavailableError(`${operation}: cannot listen on ${where}: ${(err as Error).message}`, {
    cause: err,
  });
}
