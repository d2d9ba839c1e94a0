import { CapabilityError } from "../errors.js";
import type { ContainerRuntime } from "./container-runtime.js";
import type { CallOptions } from "./runtime-info.js";

/**
 * Waits for a container to stop, on any runtime: its exit code, or undefined on a runtime without
 * the `exit-codes` capability (Apple `container`), whose `waitContainer` says so once the container
 * has stopped. Every other failure (the container gone, the engine unreachable, the signal) throws.
 */
export async function waitForStop(
  runtime: ContainerRuntime,
  containerId: string,
  options?: CallOptions,
): Promise<number | undefined> {
  try {
    return await runtime.waitContainer(containerId, options);
  } catch (error) {
    if (error instanceof CapabilityError && error.missing.includes("exit-codes")) return undefined;
    throw error;
  }
}
