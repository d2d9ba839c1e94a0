import { InvalidArgumentError } from "../errors.js";
import type { ContainerRuntime } from "./container-runtime.js";
import { type DetectRuntimeOptions, detectRuntime } from "./detection/index.js";
import { AppleContainerRuntime } from "./drivers/apple-container/apple-container-runtime.js";
import { DockerRuntime } from "./drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "./drivers/podman/podman-runtime.js";
import type { EngineEndpoint } from "./engine-endpoint.js";

export interface CreateRuntimeOptions extends DetectRuntimeOptions {
  /**
   * Where the engine is, skipping detection. Needs `runtime: "docker"` or `"podman"`: an endpoint
   * alone does not say which API dialect to speak.
   */
  endpoint?: EngineEndpoint;
  /** Session id for labels and the reaper; a new one when absent. */
  sessionId?: string;
  /**
   * Start the crash-proof reaper: when this process dies, however it dies, everything this runtime
   * created is removed. Off by default, because a long-lived service may want its containers to
   * outlive a restart; test harnesses and scripts should turn it on.
   */
  reapOnExit?: boolean;
}

/**
 * The container runtime to use: the one named by `options.runtime`, else by `OPENSHELL_RUNTIME`
 * (or `OPEN_SHELL_RUNTIME`), else the first that answers in detection's probe order (see
 * {@link detectRuntime}). Connects, reads what the engine can do, and returns the driver.
 *
 * @throws RuntimeNotFoundError listing every place probed and why each failed.
 * @throws InvalidArgumentError for an unknown runtime name.
 */
export async function createRuntime(options: CreateRuntimeOptions = {}): Promise<ContainerRuntime> {
  const { endpoint, sessionId, reapOnExit, signal } = options;
  const common = {
    ...(sessionId === undefined ? {} : { sessionId }),
    ...(signal === undefined ? {} : { signal }),
  };
  let runtime: ContainerRuntime;
  if (endpoint !== undefined) {
    if (options.runtime === "docker") runtime = await DockerRuntime.connect({ endpoint, ...common });
    else if (options.runtime === "podman") runtime = await PodmanRuntime.connect({ endpoint, ...common });
    else {
      throw new InvalidArgumentError(
        `an endpoint needs runtime: "docker" or "podman" (got ${JSON.stringify(options.runtime ?? "auto")})`,
        { field: "runtime" },
      );
    }
  } else {
    const found = await detectRuntime(options);
    if (found.kind === "apple-container") {
      runtime = await AppleContainerRuntime.connect({ command: found.command, ...common });
    } else if (found.kind === "podman") {
      runtime = await PodmanRuntime.connect({ endpoint: found.endpoint, ...common });
    } else {
      runtime = await DockerRuntime.connect({ endpoint: found.endpoint, ...common });
    }
  }
  if (reapOnExit) await runtime.reapOnExit();
  return runtime;
}
