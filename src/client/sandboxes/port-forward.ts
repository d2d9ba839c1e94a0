import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import { type TcpForwardFrame, TcpForwardFrameSchema } from "../../gen/openshell/v1/openshell_pb.js";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import { ForwardTokenPool } from "./forward-token-pool.js";

/** Options of `sandbox.forward()`. */
export interface ForwardOptions {
  /** Port inside the sandbox. */
  port: number;
  /** Host inside the sandbox to connect to; must be loopback. Default `127.0.0.1`. */
  targetHost?: string;
  /** Local port to listen on; 0 or omitted picks a free one (see `localPort`). */
  localPort?: number;
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
 */
export async function openPortForward(
  calls: GatewayCalls,
  sandbox: { name: string; id: () => Promise<string> },
  options: ForwardOptions,
  registry: ForwardRegistry,
): Promise<PortForward> {
  const o = validate(forwardSchema, options, "forward options");
  const sandboxId = await sandbox.id();
  const tokens = new ForwardTokenPool(calls, sandboxId, sandbox.name);
  const closer = new AbortController();
  const sockets = new Set<Socket>();
  const operation = `forward to port ${o.port} in sandbox "${sandbox.name}"`;

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    void tunnel(socket).catch(() => socket.destroy());
  });

  async function tunnel(socket: Socket): Promise<void> {
    socket.pause();
    const lease = await tokens.acquire(closer.signal);
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
        // Reading the socket only as fast as the stream sends keeps backpressure end to end;
        // when the local peer half-closes, the generator returns and the stream half-closes too.
        for await (const chunk of socket) {
          yield create(TcpForwardFrameSchema, { payload: { case: "data", value: chunk as Buffer } });
        }
      }
      const stream = calls.stream(operation, { signal: closer.signal }, (c) =>
        calls.openshell.forwardTcp(frames(), c),
      );
      for await (const frame of stream) {
        if (frame.payload.case !== "data") continue;
        if (!socket.write(frame.payload.value)) await once(socket, "drain", { signal: closer.signal });
      }
      socket.end();
    } finally {
      lease.release();
    }
  }

  const onAbort = () => void forward.close();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: o.localPort ?? 0 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
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
        o.signal?.removeEventListener("abort", onAbort);
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
  o.signal?.addEventListener("abort", onAbort, { once: true });
  return forward;
}
