import type Docker from "dockerode";
import type { OpenShellError } from "../../../errors.js";
import type { RuntimeKind } from "../../runtime-info.js";
import { mapEngineError } from "./engine-errors.js";

/** What the engine helpers share: the client, and how to name the engine in errors. */
export class EngineContext {
  constructor(
    readonly docker: Docker,
    readonly kind: RuntimeKind,
    readonly endpoint: string,
  ) {}

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
}
