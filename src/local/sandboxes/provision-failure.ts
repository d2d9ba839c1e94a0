import { ContainerRuntimeError, NotFoundError, OpenShellError } from "../../errors.js";

export interface ProvisionFailure {
  /** Machine-readable, as the sandbox's Ready condition carries it. */
  reason: string;
  /** What went wrong and what to do about it. */
  message: string;
}

/**
 * Why a sandbox could not be brought up, in the words a user can act on: a missing image says how to
 * get one, a command the image does not have says so, anything else carries the runtime's message.
 */
export function provisionFailure(error: unknown, image: string): ProvisionFailure {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof NotFoundError) {
    return {
      reason: "ImageNotFound",
      message: `image ${image} is not in the runtime and could not be pulled (${detail}); build or load it first, or check the name`,
    };
  }
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(detail)) {
    return {
      reason: "CommandNotFound",
      message: `the sandbox's command could not be started in image ${image}: ${detail}`,
    };
  }
  if (error instanceof ContainerRuntimeError || error instanceof OpenShellError) {
    return { reason: "ContainerStartFailed", message: `the runtime could not start the sandbox: ${detail}` };
  }
  return { reason: "ProvisioningFailed", message: `provisioning failed: ${detail}` };
}
