import type { Socket } from "node:net";

/**
 * What a forwarded connection's local client sends, as an async iterable for the request side of its
 * ForwardTcp stream. The socket stays paused until the transport has taken the last chunk, so the
 * local client is read no faster than the gateway accepts; the iterable ends at the client's FIN
 * (its half-close), which ends the request side and so reaches the sandbox's port as a FIN.
 *
 * Unlike `for await (const chunk of socket)`, finishing does not destroy the socket: its other
 * direction, the reply, may still be on its way. An abrupt close (reset, destroy) fails the iterable,
 * so the gateway sees a canceled stream, never a clean end.
 */
export class SocketInput implements AsyncIterable<Uint8Array> {
  private readonly chunks: Buffer[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private broken = false;
  private discarding = false;

  constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      if (this.discarding) return;
      this.chunks.push(chunk);
      socket.pause();
      this.notify();
    });
    socket.once("end", () => {
      this.ended = true;
      this.notify();
    });
    socket.once("close", () => {
      if (!this.ended) this.broken = true;
      this.notify();
    });
    socket.pause();
  }

  /**
   * The gateway has finished the stream: whatever the local client still sends has nowhere to go.
   * It is read and dropped, so the client's own FIN is seen and the connection can close.
   */
  discardRest(): void {
    this.discarding = true;
    this.chunks.length = 0;
    this.notify();
    this.socket.resume();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      if (this.discarding) return;
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        yield chunk;
        continue;
      }
      if (this.ended) return;
      if (this.broken) throw new Error("the local connection was closed abruptly");
      const waiting = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.socket.resume();
      await waiting;
    }
  }
}
