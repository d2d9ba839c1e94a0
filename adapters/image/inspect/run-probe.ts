import { randomUUID } from "node:crypto";
import type { ContainerRuntime, ContainerSpec, ImageInfo } from "openshell/runtime";
import {
  CanceledError,
  ContainerRuntimeError,
  NotFoundError,
  TimeoutError,
  waitForStop,
} from "openshell/runtime";
import type { ImageFacts } from "../facts/image-facts.js";
import type { ImageProgressEvent, ImageProgressListener } from "../progress.js";
import { imageConfig, imagePath } from "./image-config.js";
import { imageHandle } from "./image-handle.js";
import { isMissingShellError } from "./missing-shell.js";
import { parseProbeOutput, probeOutputProblem } from "./parse-probe.js";
import { PROBE_SCRIPT } from "./probe-script.js";

/** Options of `probeImage`. */
export interface ProbeImageOptions {
  /** Aborting ends the probe with CanceledError and removes its container. */
  signal?: AbortSignal;
  onProgress?: ImageProgressListener;
  /** The phase progress events carry: `inspect` (the default), or `verify` after a build. */
  phase?: ImageProgressEvent["phase"];
  /** How long the probe may run before it is a TimeoutError (its container is removed); 120 s by default. */
  timeoutMs?: number;
}

/** The label every probe container carries, beside the runtime's session labels. */
export const PROBE_CONTAINER_LABEL = "openshell.ai/image-probe";

const DEFAULT_PROBE_TIMEOUT_MS = 120_000;
/** How many of the probe's last stderr lines a failure quotes. */
const STDERR_TAIL_LINES = 10;

/**
 * Reads an image without changing it: the engine's inspect for its config, then the probe script
 * run as root, with no network, in a throwaway container that is always removed (on failure and
 * on abort too). An image without `/bin/sh` is an answer (`shell: false`, nothing else read), not
 * an error.
 *
 * @throws NotFoundError when the image is not present in the runtime.
 * @throws CanceledError when `signal` aborts; TimeoutError past `timeoutMs`.
 * @throws ContainerRuntimeError when the probe fails or prints something that is not its report.
 */
export async function probeImage(
  runtime: ContainerRuntime,
  image: string,
  options: ProbeImageOptions = {},
): Promise<ImageFacts> {
  const { signal } = options;
  const progress = (message: string) => options.onProgress?.({ phase: options.phase ?? "inspect", message });
  const canceled = (cause?: unknown) =>
    new CanceledError(`inspect image ${image}: canceled by the caller's signal`, { cause });
  if (signal?.aborted) throw canceled(signal.reason);

  const info = await inspectPresent(runtime, image, signal);
  progress(`${image} is ${info.id}; running the probe in a throwaway container`);
  const base = {
    ref: image,
    id: info.id,
    config: imageConfig(info),
    path: imagePath(info.env),
  };

  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const callSignal = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  // No signal on create: a create cut short may still finish in the engine, leaving a container
  // whose id we never learnt. It is quick; the abort is checked as soon as it returns.
  const { id, name } = await runtime.createContainer(
    probeSpec(runtime, imageHandle(runtime, image, info.id)),
  );
  let failed = true;
  try {
    callSignal.throwIfAborted();
    try {
      await runtime.startContainer(id, { signal: callSignal });
    } catch (error) {
      if (!callSignal.aborted && isMissingShellError(error)) {
        progress(`${image} has no /bin/sh: nothing inside it can be read`);
        failed = false;
        return { ...base, ...noShellFacts() };
      }
      throw error;
    }
    progress(`probe of ${image} running in container ${name}`);
    // Undefined where the engine cannot say how it ended (Apple `container` reports no exit codes).
    const exitCode = await waitForStop(runtime, id, { signal: callSignal });
    const stdout: string[] = [];
    const stderr: string[] = [];
    for await (const line of runtime.logs(id, { signal: callSignal })) {
      (line.stream === "stdout" ? stdout : stderr).push(line.text);
    }
    const output = stdout.join("\n");
    // Without an exit code, the output's own header and end record say whether the probe ran whole.
    const problem =
      exitCode === 0 || exitCode === undefined
        ? probeOutputProblem(output)
        : `it exited with code ${exitCode}`;
    if (problem !== undefined) {
      const tail = stderr.slice(-STDERR_TAIL_LINES).join("\n");
      throw new ContainerRuntimeError(
        `inspect image ${image}: the probe run in the image failed: ${problem}` +
          `${tail === "" ? "" : `; its last error output:\n${tail}`}\n` +
          "Check that the image runs on this machine (its architecture) and that /bin/sh is a working shell.",
        { runtime: runtime.kind },
      );
    }
    progress(`probe of ${image} finished`);
    failed = false;
    return { ...base, shell: true, ...parseProbeOutput(output) };
  } catch (error) {
    if (signal?.aborted) throw canceled(signal.reason);
    if (timeout.aborted) {
      throw new TimeoutError(
        `inspect image ${image}: the probe did not finish within ${timeoutMs} ms; ` +
          "check that the engine is not overloaded and try again, or pass a larger timeoutMs.",
        { cause: error },
      );
    }
    throw error;
  } finally {
    await removeProbeContainer(runtime, id, failed);
  }
}

/** The image's inspect; a missing image is a NotFoundError that says how to get it. */
async function inspectPresent(
  runtime: ContainerRuntime,
  image: string,
  signal: AbortSignal | undefined,
): Promise<ImageInfo> {
  try {
    return await runtime.inspectImage(image, signal === undefined ? {} : { signal });
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(
        `image ${image} is not present in ${runtime.kind}; build, pull or load it first`,
        { cause: error },
      );
    }
    if (signal?.aborted && !(error instanceof CanceledError)) {
      throw new CanceledError(`inspect image ${image}: canceled by the caller's signal`, { cause: error });
    }
    throw error;
  }
}

/**
 * The throwaway container: the image by `image` (its id where the engine takes one, so the image
 * probed is the one inspected even if its tag moves meanwhile; see `imageHandle`), as root (to
 * read every file, whatever the image's USER), the probe as entrypoint with a `$0` of its own (an
 * engine may otherwise append the image's CMD), and no network: Docker and Podman have a `none`
 * network, and Apple's `container` takes `--network none` too (from its 0.6.0).
 */
export function probeSpec(_runtime: ContainerRuntime, image: string): ContainerSpec {
  return {
    image,
    name: `openshell-image-probe-${randomUUID().slice(0, 12)}`,
    entrypoint: ["/bin/sh", "-c", PROBE_SCRIPT],
    command: ["openshell-image-probe"],
    user: "0",
    workdir: "/",
    labels: { [PROBE_CONTAINER_LABEL]: "true" },
    network: "none",
  };
}

/** How often, and how far apart, removing the probe's container is tried before giving up. */
const REMOVE_ATTEMPTS = 5;
const REMOVE_RETRY_MS = 500;

/**
 * Removes the probe's container whatever happened, never with the caller's (maybe aborted) signal,
 * trying again for a couple of seconds: on Podman under heavy load a probe canceled mid-start once
 * left its container behind, the single removal having failed. After the last attempt a failure is
 * thrown unless the probe itself already failed (its error wins; the container carries the session
 * labels, so `runtime.reap()` still finds it): a left container is never a silent success.
 */
async function removeProbeContainer(
  runtime: ContainerRuntime,
  id: string,
  probeFailed: boolean,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runtime.removeContainer(id, { force: true });
      return;
    } catch (error) {
      if (error instanceof NotFoundError) return;
      if (attempt >= REMOVE_ATTEMPTS) {
        if (probeFailed) return;
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, REMOVE_RETRY_MS));
    }
  }
}

function noShellFacts(): Omit<ImageFacts, "ref" | "id" | "config" | "path"> {
  return {
    shell: false,
    os: undefined,
    packageManager: undefined,
    ip: undefined,
    nsenter: undefined,
    iptables: undefined,
    nft: undefined,
    bash: undefined,
    accountTools: {},
    users: [],
    groups: [],
  };
}
