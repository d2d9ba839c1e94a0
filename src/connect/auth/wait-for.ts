import { CanceledError } from "../../errors.js";

/**
 * Waits for a shared promise on behalf of one caller: the caller's abort ends only its own wait, so a
 * refresh that other callers also wait on keeps going.
 */
export function waitFor<T>(shared: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return shared;
  const canceled = () => canceledError(signal, what);
  if (signal.aborted) return Promise.reject(canceled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(canceled());
    signal.addEventListener("abort", onAbort, { once: true });
    shared.then(
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

/** The SDK's error for a caller's abort, keeping the signal's reason as the cause. */
export function canceledError(signal: AbortSignal, what: string): CanceledError {
  return new CanceledError(`${what}: canceled by the caller's AbortSignal`, { cause: signal.reason });
}
