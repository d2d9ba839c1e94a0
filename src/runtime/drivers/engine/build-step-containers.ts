// Docker's classic builder says which container runs each step, and when it has removed it.
const RUNNING = /^\s*---> Running in ([0-9a-f]{12,64})\s*$/;
const REMOVED = /^\s*Removing intermediate container ([0-9a-f]{12,64})\s*$/;

/**
 * The containers a build is running its steps in, read from the build's output. When a build is
 * canceled, Docker removes its step container itself, but only a moment after the request has
 * ended (seen here: still `Created` right after, gone two seconds later); removing the ones still
 * running makes a canceled or failed build leave nothing behind by the time the call returns.
 * Engines that print no such lines (Podman, which cleans up its own) leave this empty.
 */
export class BuildStepContainers {
  private readonly running = new Set<string>();

  /** Takes build output (one or more lines). */
  observe(text: string): void {
    for (const line of text.split("\n")) {
      const started = RUNNING.exec(line);
      if (started !== null) this.running.add(started[1] as string);
      const removed = REMOVED.exec(line);
      if (removed !== null) this.running.delete(removed[1] as string);
    }
  }

  /**
   * Removes, with `remove`, the step containers the build did not say it removed. `remove` must
   * treat a container that is already gone as removed; other failures reject.
   */
  async removeLeft(remove: (id: string) => Promise<void>): Promise<void> {
    await Promise.all(
      [...this.running].map(async (id) => {
        await remove(id);
        this.running.delete(id);
      }),
    );
  }
}
