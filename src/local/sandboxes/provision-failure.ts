import { InvalidArgumentError, NotFoundError, UnavailableError } from "../../errors.js";
import { ImagePolicyRefusal } from "./static-policy.js";

export interface ProvisionFailure {
  /** Machine-readable, as the sandbox's Ready condition carries it. */
  reason: string;
  /** What went wrong and what to do about it. */
  message: string;
}

/**
 * Where provisioning was when it failed: getting the image, reading its users (who the sandbox runs
 * as), creating the container, starting it.
 */
export type ProvisionStep = "image" | "user" | "create" | "start";

export interface ProvisionAttempt {
  step: ProvisionStep;
  image: string;
  /** The sandbox's command (empty: local mode's keep-alive loop). */
  command: readonly string[];
}

/** Each step, as "while ..." words. */
const DOING: Record<ProvisionStep, string> = {
  image: "looking for the sandbox's image",
  user: "reading the image's users",
  create: "creating the sandbox's container",
  start: "starting the sandbox's container",
};

/** How engines say that the user or group to run as is not in the image's /etc/passwd or /etc/group. */
const USER_NOT_FOUND = /unable to find (user|group) (\S+): no matching entries/i;

/** How engines and OCI runtimes say that the process to start does not exist in the image. */
const COMMAND_NOT_FOUND =
  /executable file not found|no such file or directory|not found in \$PATH|command was not found|failed to find target executable/i;

/**
 * Why a sandbox could not be brought up, in the words a user can act on: which step failed (the
 * image, the container, its command) and what to do about it, with the runtime's own words after.
 */
export function provisionFailure(error: unknown, attempt: ProvisionAttempt): ProvisionFailure {
  const detail = error instanceof Error ? error.message : String(error);
  const { image } = attempt;
  if (error instanceof ImagePolicyRefusal) {
    // Root (RootUser), or a policy the image's workdir makes unenforceable: already in the user's words.
    return { reason: error.reason, message: error.message };
  }
  if (error instanceof UnavailableError) {
    // The engine went away (or never answered): nothing is wrong with the image or the command, and
    // blaming them ("pulling it failed; build or load it") sends the user the wrong way.
    return {
      reason: "RuntimeUnavailable",
      message: `the container runtime could not be reached while ${DOING[attempt.step]} (${detail}); once it answers again, start the sandbox again or delete it`,
    };
  }
  if (attempt.step === "image") {
    if (error instanceof NotFoundError) {
      return {
        reason: "ImageNotFound",
        message: `image ${image} is not in the runtime and its registry does not have it (${detail}); build or load it first, or check the name and tag`,
      };
    }
    if (error instanceof InvalidArgumentError) {
      return {
        reason: "InvalidImageName",
        message: `image ${image} is not a valid image reference (${detail}); use a name like registry/repository:tag`,
      };
    }
    return {
      reason: "ImagePullFailed",
      message: `image ${image} is not in the runtime and pulling it failed (${detail}); build or load it first, or check the name and that its registry is reachable`,
    };
  }
  if (attempt.step === "user") {
    return {
      reason: "UserNotResolved",
      message: `could not read image ${image}'s users to tell who the sandbox would run as: ${detail}`,
    };
  }
  const unknownUser = USER_NOT_FOUND.exec(detail);
  if (unknownUser) {
    const [, kind, name] = unknownUser;
    return {
      reason: "UserNotFound",
      message: `image ${image} has no ${kind} ${JSON.stringify(name)} in /etc/${kind === "user" ? "passwd" : "group"}; set policy.process.runAsUser and runAsGroup (run_as_user and run_as_group in a policy file) to a numeric UID and GID (or to names the image has), or add the ${kind} to the image (${detail})`,
    };
  }
  if (attempt.step === "start" && COMMAND_NOT_FOUND.test(detail)) {
    const command = attempt.command[0];
    const what = command === undefined ? "the sandbox's command" : `command ${JSON.stringify(command)}`;
    return {
      reason: "CommandNotFound",
      message: `${what} was not found in image ${image}; use a command the image has (an absolute path, or one on its PATH), or build the image with it (${detail})`,
    };
  }
  const doing = attempt.step === "create" ? "create" : "start";
  return {
    reason: attempt.step === "create" ? "ContainerCreateFailed" : "ContainerStartFailed",
    message: `the runtime could not ${doing} the sandbox's container from image ${image}: ${detail}`,
  };
}
