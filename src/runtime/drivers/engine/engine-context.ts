import type Docker from "dockerode";
import type { OpenShellError } from "../../../errors.js";
import type { RuntimeKind } from "../../runtime-info.js";
import { ContainerWatchdog } from "./container-watchdog.js";
import { mapEngineError } from "./engine-errors.js";

/** What the engine helpers share: the client, how to name the engine in errors, and the watchdog. */
export class EngineContext {
  private containerWatchdog: ContainerWatchdog | undefined;

  constructor(
    readonly docker: Docker,
    readonly kind: RuntimeKind,
    readonly endpoint: string,
  ) {}

  /** The driver's one watchdog for containers stopping under open streams (made on first use). */
  get watchdog(): ContainerWatchdog {
    this.containerWatchdog ??= new ContainerWatchdog(this);
    return this.containerWatchdog;
  }

  /** Maps a failure of `what` to the SDK's errors. */
  error(error: unknown, what: string): OpenShellError {
    return mapEngineError(error, this.kind, what, this.endpoint);
  }

  /** Runs one engine call, mapping its failure. */
  async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.error(error, what);
    }
  }

  /** Lets go of the watchdog's event stream once the streams still open have ended. */
  close(): void {
    this.containerWatchdog?.close();
  }
}
