import { type ContainerRuntime, InvalidArgumentError, parseImageReference } from "openshell/runtime";
import type { ImageProgressListener } from "../progress.js";
import type { ImageInspection } from "./image-inspection.js";
import { assessReadiness } from "./readiness.js";
import { probeImage } from "./run-probe.js";

/** Options of `inspectImage`. */
export interface InspectImageOptions {
  /** Aborting ends the inspection with CanceledError; the probe's container is removed. */
  signal?: AbortSignal;
  /** Called as inspection goes (phase `inspect`). */
  onProgress?: ImageProgressListener;
}

/** An engine's image id: `sha256:` and its hex, or a bare hex id (12 characters or more, as engines print). */
const IMAGE_ID = /^(?:sha256:[0-9a-f]{12,64}|[0-9a-f]{12,64})$/;

/**
 * Reads an image without changing it and says what OpenShell's in-sandbox supervisor would find
 * missing: the distro, package manager, `ip` (iproute2's or busybox's applet), `nsenter`, iptables,
 * bash, the `sandbox` user and group, the image's USER and the uid it runs as, and one gap per unmet
 * requirement. It runs a small `sh` probe as root, with no network, in a throwaway container that is
 * always removed; the image and its tags are left as they were.
 *
 * ```ts
 * const report = await inspectImage(runtime, "my-agent:1");
 * if (!report.ready) for (const gap of report.gaps) console.log(gap.message);
 * ```
 *
 * @param image A reference (`name`, `name:tag`, `registry/name@sha256:...`) or an image id.
 * @throws InvalidArgumentError naming `runtime`, `image` or `options` (`signal`, `onProgress`) for a bad input.
 * @throws NotFoundError when the image is not present in the runtime (build, pull or load it first).
 * @throws CanceledError when `signal` aborts; nothing is left behind.
 * @throws ContainerRuntimeError when the engine fails, or the image cannot run the probe
 *   (an image without /bin/sh is not an error: its inspection has the `shell` gap).
 */
export async function inspectImage(
  runtime: ContainerRuntime,
  image: string,
  options: InspectImageOptions = {},
): Promise<ImageInspection> {
  checkInputs(runtime, image, options);
  const { signal, onProgress } = options;
  onProgress?.({ phase: "inspect", message: `inspecting ${image} in ${runtime.kind}` });
  const facts = await probeImage(runtime, image, {
    ...(signal === undefined ? {} : { signal }),
    ...(onProgress === undefined ? {} : { onProgress }),
    phase: "inspect",
  });
  const inspection = assessReadiness(facts);
  onProgress?.({
    phase: "inspect",
    message: inspection.ready
      ? `${image} is ready for OpenShell`
      : `${image} lacks ${inspection.gaps.map((gap) => gap.requirement).join(", ")}`,
  });
  return inspection;
}

function checkInputs(runtime: unknown, image: unknown, options: unknown): void {
  if (
    typeof runtime !== "object" ||
    runtime === null ||
    typeof (runtime as Partial<ContainerRuntime>).inspectImage !== "function" ||
    typeof (runtime as Partial<ContainerRuntime>).createContainer !== "function"
  ) {
    throw new InvalidArgumentError(
      "invalid runtime: pass a ContainerRuntime, such as `await createRuntime()` from openshell/runtime",
      { field: "runtime" },
    );
  }
  if (typeof image !== "string") {
    throw new InvalidArgumentError(`invalid image: expected a string, got ${describe(image)}`, {
      field: "image",
    });
  }
  if (!IMAGE_ID.test(image)) parseImageReference(image, { field: "image" });
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`invalid options: expected an object, got ${describe(options)}`, {
      field: "options",
    });
  }
  const { signal, onProgress } = options as Record<string, unknown>;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`invalid signal: expected an AbortSignal, got ${describe(signal)}`, {
      field: "signal",
    });
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new InvalidArgumentError(`invalid onProgress: expected a function, got ${describe(onProgress)}`, {
      field: "onProgress",
    });
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? JSON.stringify(value) : typeof value;
}
