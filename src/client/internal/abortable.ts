import { CanceledError } from "../../errors.js";

/**
 * Settles with `promise`, or rejects with CanceledError as soon as `signal` aborts. The work behind
 * `promise` goes on (it may be shared, like a sandbox's id lookup); only this caller stops waiting.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(new CanceledError(`${what}: canceled by the caller's AbortSignal`));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(new CanceledError(`${what}: canceled by the caller's AbortSignal`));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/**
 * A signal that aborts when any of `signals` does, whose `dispose` removes its listeners from the
 * sources as soon as the linked work is over: a long-lived signal does not collect one per call.
 */
export function linkedSignal(...signals: AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const listeners: [AbortSignal, () => void][] = [];
  for (const source of signals) {
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => controller.abort(source.reason);
    source.addEventListener("abort", onAbort, { once: true });
    listeners.push([source, onAbort]);
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const [source, onAbort] of listeners) source.removeEventListener("abort", onAbort);
    },
  };
}
