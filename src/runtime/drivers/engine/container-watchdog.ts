import type { EngineContext } from "./engine-context.js";

const POLL_MS = 500;

/**
 * Polls a container while one of its streams is open, and calls `onStopped` once it is no longer
 * running. Engines do not always end an exec's or a log's stream when the container dies under it
 * (the process that held the stream open is gone, but the connection is not closed); this is what
 * turns that hang into an error (exec) or an end (logs follow) within a second.
 */
export function watchContainerRunning(
  engine: EngineContext,
  containerId: string,
  onStopped: (exitCode: number | null) => void,
): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    if (stopped) return;
    try {
      const state = (await engine.docker.getContainer(containerId).inspect()).State;
      if (stopped) return;
      if (!state.Running) {
        stopped = true;
        onStopped(state.ExitCode ?? null);
        return;
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) {
        stopped = true;
        onStopped(null);
        return;
      }
      // The engine being briefly busy is not a stop; the stream itself reports a dead engine.
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS).unref();
  };
  timer = setTimeout(poll, POLL_MS).unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
