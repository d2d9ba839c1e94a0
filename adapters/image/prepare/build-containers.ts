import { type ContainerRuntime, NotFoundError } from "openshell/runtime";

// Docker's classic builder says which container runs each step, and when it has removed it.
const RUNNING = /^\s*---> Running in ([0-9a-f]{12,64})\s*$/;
const REMOVED = /^\s*Removing intermediate container ([0-9a-f]{12,64})\s*$/;

/**
 * The containers a build is running its steps in, read from the build's output. When a build is
 * canceled, Docker removes its step container itself, but only a moment after the request has
 * ended (seen here: still `Created` right after, gone two seconds later); removing the ones still
 * running makes a canceled preparation leave nothing behind by the time it returns. Engines that
 * print no such lines (Podman, Apple `container`) clean up their own build containers.
 */
export class BuildContainers {
  private readonly running = new Set<string>();

  /** Takes one line of build output. */
  observe(line: string): void {
    const started = RUNNING.exec(line);
    if (started !== null) this.running.add(started[1] as string);
    const removed = REMOVED.exec(line);
    if (removed !== null) this.running.delete(removed[1] as string);
  }

  /** Removes the step containers the build did not say it removed; ones already gone are fine. */
  async removeLeft(runtime: ContainerRuntime): Promise<void> {
    await Promise.all(
      [...this.running].map(async (id) => {
        try {
          await runtime.removeContainer(id, { force: true });
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
        this.running.delete(id);
      }),
    );
  }
}
