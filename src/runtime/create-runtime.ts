import { InvalidArgumentError } from "../errors.js";
import type { ContainerRuntime } from "./container-runtime.js";
import { type DetectRuntimeOptions, detectRuntime } from "./detection/index.js";
import { requireNamedEngine } from "./detection/named-engine.js";
import { AppleContainerRuntime } from "./drivers/apple-container/apple-container-runtime.js";
import { DockerRuntime } from "./drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "./drivers/podman/podman-runtime.js";
import { type EngineEndpointInput, engineEndpointOption } from "./endpoint-option.js";

export interface CreateRuntimeOptions extends DetectRuntimeOptions {
  /**
   * Where the engine is, skipping detection: structured, or a URL as DOCKER_HOST takes it
   * (`unix:///run/podman/podman.sock`, `tcp://host:2375`). Needs `runtime: "docker"` or `"podman"`:
   * an endpoint alone does not say which API dialect to speak. It is the engine used: when it does
   * not answer, createRuntime fails rather than look elsewhere.
   */
  endpoint?: EngineEndpointInput;
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
 * {@link detectRuntime}). The engine is `options.endpoint` when given, else the one a setting names
 * (DOCKER_HOST, the docker context, CONTAINER_HOST, OPENSHELL_PODMAN_SOCKET), else the first of the
 * default places that answers. Connects, reads what the engine can do, and returns the driver.
 *
 * @throws RuntimeNotFoundError when the engine named by `endpoint` or a setting does not answer
 *   (saying which, what went wrong and what to do), or when nothing answers (listing every place
 *   probed and why each failed).
 * @throws InvalidArgumentError for an unknown runtime name, or an `endpoint` that is not one.
 */
export async function createRuntime(options: CreateRuntimeOptions = {}): Promise<ContainerRuntime> {
  const { endpoint, sessionId, reapOnExit, signal } = options;
  const common = {
    ...(sessionId === undefined ? {} : { sessionId }),
    ...(signal === undefined ? {} : { signal }),
  };
  let runtime: ContainerRuntime;
  if (endpoint !== undefined) {
    const kind = options.runtime;
    if (kind !== "docker" && kind !== "podman") {
      throw new InvalidArgumentError(
        `an endpoint needs runtime: "docker" or "podman" (got ${JSON.stringify(kind ?? "auto")})`,
        { field: "runtime" },
      );
    }
    const target = engineEndpointOption(endpoint);
    await requireNamedEngine(target, {
      kind,
      ...(signal === undefined ? {} : { signal }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.ping === undefined ? {} : { ping: options.ping }),
    });
    const connect = kind === "docker" ? DockerRuntime.connect : PodmanRuntime.connect;
    runtime = await connect({ endpoint: target, ...common });
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
