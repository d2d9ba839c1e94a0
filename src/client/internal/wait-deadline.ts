import { CanceledError, TimeoutError } from "../../errors.js";

/** What a long wait needs: its deadline and the caller's signal. */
export interface WaitScope {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Runs `body` under one deadline and the caller's signal, handing it a signal that fires on either.
 * However the aborted work fails, the reason it stopped is what the caller sees: TimeoutError with
 * `describeTimeout()`, or CanceledError.
 */
export async function withWaitDeadline<T>(
  what: string,
  scope: WaitScope,
  body: (signal: AbortSignal) => Promise<T>,
  describeTimeout: () => string = () => "",
): Promise<T> {
  const userSignal = scope.signal;
  if (userSignal?.aborted) throw new CanceledError(`${what}: canceled by the caller's AbortSignal`);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, scope.timeoutMs);
  const onAbort = () => controller.abort();
  userSignal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await body(controller.signal);
  } catch (err) {
    if (timedOut) {
      throw new TimeoutError(`${what}: gave up after ${scope.timeoutMs} ms${describeTimeout()}`, {
        cause: err,
      });
    }
    if (userSignal?.aborted) {
      throw new CanceledError(`${what}: canceled by the caller's AbortSignal`, { cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener("abort", onAbort);
  }
}
