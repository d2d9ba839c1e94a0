import { type Socket, connect as tcpConnect } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type TcpForwardFrame, TcpForwardFrameSchema } from "../../gen/openshell/v1/openshell_pb.js";
import { BufferedQueue } from "./buffered-queue.js";

/** Frames buffered towards the client before the socket is paused. */
const HIGH_WATER = 64;

/**
 * Connects to `target` and relays one ForwardTcp stream over it, each direction on its own:
 *
 * - client to sandbox: `data` frames are written with the socket's backpressure; the end of the
 *   client's stream (its half-close) is passed on as a FIN, and the sandbox can still answer;
 * - sandbox to client: bytes become `data` frames; the sandbox's FIN ends the response, which is how
 *   gRPC says "this side is done" (the protocol has no half-close frame of its own).
 *
 * Only a clean end is passed on as an end. A client that goes away (its stream canceled or failed)
 * resets the connection to the sandbox, and a reset from the sandbox fails the stream, so neither a
 * cut upload nor a cut reply can pass for a complete one.
 *
 * @param rest the client's frames after `init`.
 * @param signal aborts when the call is canceled: the connection is reset.
 * @param shutdown aborts when the gateway closes: the connection is reset and the stream fails
 *   UNAVAILABLE with the reason.
 * @throws ConnectError UNAVAILABLE when nothing answers at `target`.
 */
export async function* relayTcp(
  target: { host: string; port: number },
  rest: AsyncIterator<TcpForwardFrame>,
  signal: AbortSignal,
  shutdown: AbortSignal,
): AsyncGenerator<TcpForwardFrame, void, undefined> {
  // allowHalfOpen: the sandbox's FIN must not end our side while the client may still be sending.
  const socket = tcpConnect({ ...target, allowHalfOpen: true, noDelay: true });
  const out = new BufferedQueue<TcpForwardFrame>(() => socket.resume());
  let failure: Error | undefined;
  let abrupt = false;
  // Attached first, and for the socket's whole life: its 'error' is never unhandled.
  socket.on("error", (err) => {
    failure ??= err;
    abrupt = true;
    out.fail(new ConnectError(`connection to port ${target.port} failed: ${err.message}`, Code.Unavailable));
  });
  const reset = () => {
    abrupt = true;
    socket.resetAndDestroy();
    out.end();
  };
  const shut = () => {
    const reason: unknown = shutdown.reason;
    out.fail(
      reason instanceof ConnectError
        ? reason
        : new ConnectError(
            reason instanceof Error ? reason.message : "the gateway is closing",
            Code.Unavailable,
          ),
    );
    reset();
  };
  try {
    if (signal.aborted) reset();
    signal.addEventListener("abort", reset, { once: true });
    if (shutdown.aborted) shut();
    shutdown.addEventListener("abort", shut, { once: true });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("close", () =>
        reject(
          new ConnectError(
            `cannot connect to port ${target.port} in the sandbox: ${failure?.message ?? "closed"}`,
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
    void pumpToSocket(rest, socket, signal).catch(reset);

    yield* out;
  } finally {
    signal.removeEventListener("abort", reset);
    shutdown.removeEventListener("abort", shut);
    // The stream is over. After a clean end, whatever the client sent has been written (gRPC sends
    // nothing after the response ends), so our side ends cleanly too; otherwise the sandbox sees a reset.
    if (socket.destroyed) {
      // already closed, by either side
    } else if (abrupt || signal.aborted || shutdown.aborted) socket.resetAndDestroy();
    else socket.end();
  }
}

/**
 * Client to sandbox, with the socket's backpressure; the client's half-close ends our side. Node ends
 * an HTTP/2 request body on RST_STREAM too, but only after the call's signal has aborted: an end seen
 * with the signal aborted is a reset, which `relayTcp` passes on as one.
 */
async function pumpToSocket(
  frames: AsyncIterator<TcpForwardFrame>,
  socket: Socket,
  signal: AbortSignal,
): Promise<void> {
  for (let next = await frames.next(); !next.done; next = await frames.next()) {
    if (socket.destroyed) return;
    const frame = next.value;
    if (frame.payload.case !== "data" || frame.payload.value.length === 0) continue;
    if (!socket.write(frame.payload.value)) await drained(socket);
  }
  if (!signal.aborted) socket.end();
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}
