import { randomBytes } from "node:crypto";
import type { ContainerRuntime } from "openshell/runtime";
import { CanceledError, ContainerRuntimeError } from "openshell/runtime";
import { ImageBuildError, ImageNotReadyError } from "../errors.js";
import type { ImageFacts } from "../facts/image-facts.js";
import { imageHandle } from "../inspect/image-handle.js";
import { assessReadiness } from "../inspect/readiness.js";
import { probeImage } from "../inspect/run-probe.js";
import type { ImageProgressListener } from "../progress.js";
import { renderDockerfile } from "./dockerfile.js";
import { planPreparation } from "./plan.js";
import { checkPrepareOptions, type PreparedImage, type PrepareImageOptions } from "./prepare-options.js";
import { checkPreparedConfig } from "./verify-config.js";

/** Labels the prepared image carries: where it came from, and what was added. */
export const PREPARED_FROM_LABEL = "openshell.ai/prepared-from";
export const PREPARED_ADDED_LABEL = "openshell.ai/prepared-added";
/** How many of the build's last output lines an ImageBuildError keeps. */
const OUTPUT_TAIL_LINES = 20;

/**
 * Makes `options.image` OpenShell-ready: inspects it, builds a derived image with the runtime's own
 * build that adds only what is missing (packages through the image's own package manager, the
 * `sandbox` user and group, PATH), runs the result to check every requirement again, and only then
 * gives it the name `options.tag`. The image's own USER (when not root), entrypoint, command,
 * workdir, env and labels are kept.
 *
 * An image that is already ready is not rebuilt, only tagged. An image that cannot be prepared (no
 * shell, no package manager for a missing package) is refused with an ImageNotReadyError before
 * anything is built. A failing build is an ImageBuildError with its last output lines.
 */
export async function prepareImage(
  runtime: ContainerRuntime,
  options: PrepareImageOptions,
): Promise<PreparedImage> {
  checkPrepareOptions(options);
  const { image, tag, signal, onProgress } = options;
  throwIfAborted(signal, image);
  const facts = await probeImage(runtime, image, {
    ...(signal === undefined ? {} : { signal }),
    ...(onProgress === undefined ? {} : { onProgress }),
  });
  const plan = planPreparation(facts, {
    ...(options.iptables === undefined ? {} : { iptables: options.iptables }),
    ...(options.user === undefined ? {} : { user: options.user }),
  });
  const source = { image, id: facts.id };
  // The image by id where the engine takes one (a tag moved since inspection cannot change what is
  // built on or tagged), by name on Apple `container`, which knows images by name only.
  const base = imageHandle(runtime, image, facts.id);

  if (plan.unmet.length > 0) {
    throw new ImageNotReadyError(
      `${image} cannot be prepared for OpenShell: ${plan.unmet.map((gap) => gap.message).join(" ")}`,
      { image, requirements: plan.unmet.map((gap) => gap.requirement) },
    );
  }
  if (plan.empty) {
    onProgress?.({ phase: "plan", message: `${image} is already OpenShell-ready: nothing to add` });
    if (tag !== image) await runtime.tagImage(base, tag, signal === undefined ? {} : { signal });
    return {
      image: tag,
      id: facts.id,
      source,
      changed: false,
      added: [],
      // The same image under its new name: the report names it as the result does.
      inspection: { ...assessReadiness(facts), image: tag },
      dockerfile: undefined,
    };
  }
  onProgress?.({ phase: "plan", message: `adding to ${image}: ${plan.added.join("; ")}` });

  // Built under a temporary name and verified there, so `tag` never names an image that failed its
  // check.
  const dockerfile = renderDockerfile(plan, facts, base);
  const staging = `openshell-prepare-${randomBytes(6).toString("hex")}:staging`;
  try {
    await build(runtime, { image, staging, dockerfile, facts, added: plan.added, signal, onProgress });
    onProgress?.({ phase: "verify", message: `running the built image to check each requirement again` });
    const after = await probeImage(runtime, staging, {
      phase: "verify",
      ...(signal === undefined ? {} : { signal }),
      ...(onProgress === undefined ? {} : { onProgress }),
    });
    const inspection = assessReadiness(after);
    const missing = inspection.gaps.filter((gap) => gap.requirement !== "shell");
    if (!inspection.ready) {
      throw new ImageNotReadyError(
        `the image built from ${image} still lacks what OpenShell needs: ` +
          `${inspection.gaps.map((gap) => gap.message).join(" ")} The build added: ${plan.added.join("; ")}.`,
        {
          image,
          requirements: (missing.length > 0 ? missing : inspection.gaps).map((gap) => gap.requirement),
        },
      );
    }
    if (options.iptables === true && inspection.iptables === undefined) {
      throw new ImageNotReadyError(
        `the image built from ${image} still has no iptables, which was asked for`,
        {
          image,
          requirements: ["iptables"],
        },
      );
    }
    checkPreparedConfig(image, facts, after, plan.finalUser);
    throwIfAborted(signal, image);
    await runtime.tagImage(staging, tag, signal === undefined ? {} : { signal });
    onProgress?.({ phase: "verify", message: `${tag} is OpenShell-ready` });
    return {
      image: tag,
      id: after.id,
      source,
      changed: true,
      added: plan.added,
      inspection: { ...inspection, image: tag },
      dockerfile,
    };
  } finally {
    // Only the staging name goes (the image stays under `tag` when it got there). Always tried, not
    // only after a build that returned: an engine may have finished and named the image although
    // the call failed or was canceled on the way back, and a staging name must never outlive this
    // call. Where there is none, the removal is a NotFoundError, ignored.
    await runtime.removeImage(staging, { force: false }).catch(() => {});
  }
}

interface BuildStep {
  image: string;
  staging: string;
  dockerfile: string;
  facts: ImageFacts;
  added: readonly string[];
  signal: AbortSignal | undefined;
  onProgress: ImageProgressListener | undefined;
}

async function build(runtime: ContainerRuntime, step: BuildStep): Promise<void> {
  const tail: string[] = [];
  try {
    await runtime.buildImage({
      tag: step.staging,
      dockerfileText: step.dockerfile,
      labels: {
        [PREPARED_FROM_LABEL]: `${step.image}@${step.facts.id}`,
        [PREPARED_ADDED_LABEL]: step.added.join("; "),
      },
      // The prepared image outlives this process; containers others start from it must not carry
      // this session's label (its reaper would remove them).
      sessionLabels: false,
      ...(step.signal === undefined ? {} : { signal: step.signal }),
      onProgress: (event) => {
        for (const line of event.message.split("\n")) {
          if (line.trim() === "") continue;
          tail.push(line);
          if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
          step.onProgress?.({ phase: "build", message: line });
        }
      },
    });
  } catch (error) {
    if (error instanceof CanceledError || step.signal?.aborted) {
      throw new CanceledError(`preparing ${step.image} was canceled; nothing was left behind`, {
        cause: error,
      });
    }
    if (error instanceof ContainerRuntimeError) {
      throw new ImageBuildError(
        `building the OpenShell-ready image from ${step.image} failed: ${error.message}\n` +
          `Last build output:\n${tail.join("\n")}\n` +
          "Check that the image's package manager can reach its repositories from a build " +
          "(network, proxy, mirrors) and that its package lists are current.",
        {
          runtime: runtime.kind,
          image: step.image,
          outputTail: [...tail],
          ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
          cause: error,
        },
      );
    }
    throw error;
  }
}

function throwIfAborted(signal: AbortSignal | undefined, image: string): void {
  if (signal?.aborted) {
    throw new CanceledError(`preparing ${image} was canceled`, { cause: signal.reason });
  }
}
