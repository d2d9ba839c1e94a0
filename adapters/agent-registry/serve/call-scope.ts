import { CanceledError } from "openshell";

/** One client call's cancellation: the caller's signal or the client's close, whichever comes first. */
export interface Call {
  /** Aborts the call's HTTP request. */
  signal: AbortSignal;
  /** Aborts the request with `reason` (an idle timeout, say). */
  abort(reason: unknown): void;
  /** The error to throw when the call was canceled by its caller or by close(); else undefined. */
  canceled(operation: string): CanceledError | undefined;
  /** Releases the call: its listener on the caller's signal, its place in `active`, its connection. */
  end(): void;
}

/**
 * Starts a call: a controller of its own, aborted by the caller's `signal` and registered in
 * `active` so that the client's close() can abort it. Its listener on the caller's signal goes at
 * `end()`, so a long-lived signal shared by many calls collects none.
 */
export function beginCall(
  signal: AbortSignal | undefined,
  active: Set<AbortController>,
  isClosed: () => boolean,
): Call {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (isClosed()) controller.abort(new Error("closed"));
  else if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  active.add(controller);
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    canceled: (operation) => {
      if (signal?.aborted) return new CanceledError(`${operation}: canceled by its signal`);
      if (isClosed()) {
        return new CanceledError(`${operation}: canceled because the adapter service client was closed`);
      }
      return undefined;
    },
    end: () => {
      signal?.removeEventListener("abort", onAbort);
      active.delete(controller);
      // Releases the connection of a stream its consumer left early.
      controller.abort(new Error("ended"));
    },
  };
}
