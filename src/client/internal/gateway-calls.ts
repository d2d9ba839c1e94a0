import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import { isTlsFailure, toOpenShellError } from "../../connect/error-mapping.js";
import type { StreamTimeouts } from "../../connect/stream-timeouts.js";
import type { GatewayTransport } from "../../connect/transport.js";
import { CanceledError, OpenShellError, TimeoutError } from "../../errors.js";
import type { Inference } from "../../gen/openshell/inference/v1/inference_pb.js";
import type { OpenShell as OpenShellService } from "../../gen/openshell/v1/openshell_pb.js";
import type { RequestOptions, StreamRequestOptions } from "../request-options.js";

export interface StreamCallSettings {
  /**
   * The first message must arrive within the handshake timeout. Only for calls whose protocol sends
   * one at once (WatchSandbox starts with a snapshot); a silent exec may legitimately say nothing.
   */
  firstMessageDue?: boolean;
}

/**
 * The one place generated clients are called from: applies deadlines, cancellation and the stream
 * guards, and turns every failure into the SDK's error classes. Services above it stay declarative.
 */
export class GatewayCalls {
  constructor(
    readonly openshell: Client<typeof OpenShellService>,
    readonly inference: Client<typeof Inference>,
    private readonly connection: GatewayTransport,
    readonly workspace: string,
    readonly timeouts: StreamTimeouts,
    readonly endpoint: string,
  ) {}

  /** Workspace of a call: the option, else the client's. */
  ws(options?: { workspace?: string | undefined }): string {
    return options?.workspace ?? this.workspace;
  }

  async unary<T>(
    operation: string,
    options: RequestOptions | undefined,
    call: (o: CallOptions) => Promise<T>,
  ): Promise<T> {
    throwIfAborted(options?.signal, operation);
    try {
      if (!this.connection.isConnected()) {
        await this.reach(operation, this.timeouts.handshakeTimeoutMs, options?.signal);
      }
      return await call({
        signal: options?.signal,
        timeoutMs: options?.timeoutMs ?? this.timeouts.callTimeoutMs,
      });
    } catch (err) {
      if (options?.signal?.aborted) {
        throw new CanceledError(`${operation}: canceled by the caller's AbortSignal`, { cause: err });
      }
      throw toOpenShellError(await this.rootCause(err), { operation, endpoint: this.endpoint });
    }
  }

  /**
   * Runs a streaming call. Within the handshake timeout the connection must come up and the gateway
   * must answer the call with its response headers (a gateway, or a proxy in front of it, can accept
   * the HTTP/2 stream and then say nothing); after that the transport's PING keepalive fails the
   * stream if the gateway goes silent. Breaking out of the loop cancels the call on the gateway.
   */
  async *stream<T>(
    operation: string,
    options: StreamRequestOptions | undefined,
    call: (o: CallOptions) => AsyncIterable<T>,
    settings: StreamCallSettings = {},
  ): AsyncGenerator<T, void, undefined> {
    const handshakeMs = options?.handshakeTimeoutMs ?? this.timeouts.handshakeTimeoutMs;
    const started = performance.now();
    const controller = new AbortController();
    const userSignal = options?.signal;
    const onAbort = () => controller.abort(userSignal?.reason);
    throwIfAborted(userSignal, operation);
    userSignal?.addEventListener("abort", onAbort, { once: true });
    let unanswered: TimeoutError | undefined;
    let answerTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      if (!this.connection.isConnected()) await this.reach(operation, handshakeMs, controller.signal);
      answerTimer = setTimeout(
        () => {
          unanswered = new TimeoutError(
            `${operation}: the gateway at ${this.endpoint} took the call but sent no response within ${handshakeMs} ms; ` +
              "it may be overloaded or stuck, or a proxy in front of it may be holding the call. Check the gateway's " +
              "health and logs; on a slow link, raise timeouts.handshakeTimeoutMs",
          );
          controller.abort(unanswered);
        },
        Math.max(0, handshakeMs - (performance.now() - started)),
      );
      const iterator = call({
        signal: controller.signal,
        onHeader: () => clearTimeout(answerTimer),
      })[Symbol.asyncIterator]();
      let first = true;
      for (;;) {
        const next =
          first && settings.firstMessageDue
            ? await withDeadline(
                iterator.next(),
                handshakeMs,
                controller,
                () => new TimeoutError(`${operation}: the gateway sent nothing within ${handshakeMs} ms`),
              )
            : await iterator.next();
        first = false;
        if (next.done) return;
        yield next.value;
      }
    } catch (err) {
      if (unanswered) throw unanswered;
      if (userSignal?.aborted)
        throw new CanceledError(`${operation}: canceled by the caller's AbortSignal`, { cause: err });
      throw toOpenShellError(await this.rootCause(err), { operation, endpoint: this.endpoint });
    } finally {
      clearTimeout(answerTimer);
      userSignal?.removeEventListener("abort", onAbort);
      // Ends the HTTP/2 stream when the consumer stops early; a no-op once it has finished.
      controller.abort();
    }
  }

  /**
   * When a gateway rejects the client certificate (TLS 1.3 reports that after the handshake), the
   * stream may fail as merely "canceled" a moment before the connection learns the real reason.
   * A cancellation the caller did not ask for is worth one look at the connection's own error.
   */
  private async rootCause(err: unknown): Promise<unknown> {
    if (err instanceof OpenShellError || isTlsFailure(err) || ConnectError.from(err).code !== Code.Canceled)
      return err;
    await new Promise((resolve) => setTimeout(resolve, 25));
    const connectionError = this.connection.connectionError();
    return connectionError && isTlsFailure(connectionError) ? connectionError : err;
  }

  /** Waits for the connection (TCP, TLS, HTTP/2) within the handshake timeout. */
  private async reach(
    operation: string,
    handshakeMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // A connection that failed resolves "error"; the call that follows reports the cause.
      await withDeadline(
        this.connection.connect(),
        handshakeMs,
        controller,
        () =>
          new TimeoutError(
            `${operation}: could not reach the gateway at ${this.endpoint} within ${handshakeMs} ms; check that it is running and reachable`,
          ),
      );
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

function throwIfAborted(signal: AbortSignal | undefined, operation: string): void {
  if (signal?.aborted)
    throw new CanceledError(`${operation}: canceled by the caller's AbortSignal before it started`);
}

/**
 * Settles with `promise`, or rejects with `onTimeout()` after `ms` (aborting `controller` so the work
 * behind the promise stops), or with a CanceledError when `controller` is aborted from outside.
 */
function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  controller: AbortController,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = onTimeout();
      reject(err);
      controller.abort(err);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CanceledError("canceled by the caller's AbortSignal"));
    };
    if (controller.signal.aborted) onAbort();
    controller.signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        clearTimeout(timer);
        controller.signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        controller.signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
