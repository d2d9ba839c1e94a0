/** What the echo agents answer to `text`, in the three chunks they stream. */
export function echoChunks(text: string): [string, string, string] {
  const reply = `echo: ${text}`;
  const third = Math.ceil(reply.length / 3);
  return [reply.slice(0, third), reply.slice(third, 2 * third), reply.slice(2 * third)];
}

/** The message that makes an echo agent hold its task open until it is canceled. */
export const HOLD = "hold";

/** How long a held task waits for its cancel before it completes anyway (no task lives forever). */
export const HOLD_LIMIT_MS = 60_000;

/** Settles when `cancel` is called for the task, or after {@link HOLD_LIMIT_MS}. */
export class HeldTasks {
  readonly #waiting = new Map<string, () => void>();

  wait(taskId: string): Promise<"canceled" | "expired"> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(taskId);
        resolve("expired");
      }, HOLD_LIMIT_MS);
      // A held task must not keep a test process (or the agent, once asked to stop) alive.
      timer.unref();
      this.#waiting.set(taskId, () => {
        clearTimeout(timer);
        this.#waiting.delete(taskId);
        resolve("canceled");
      });
    });
  }

  cancel(taskId: string): void {
    this.#waiting.get(taskId)?.();
  }
}
