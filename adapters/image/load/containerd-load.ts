import type { Readable } from "node:stream";
import type { ExecProcess } from "openshell/runtime";
import { ContainerRuntimeError } from "openshell/runtime";
import { ImageLoadError } from "../errors.js";
import { type ArchiveFeed, feedArchive } from "./archive-feed.js";
import { countBytes, describeBytes } from "./byte-progress.js";
import { ContainerdCli, type ContainerdPlace } from "./ctr-cli.js";
import { readWrapperLines } from "./ctr-output.js";
import { containerdName, normaliseImageId } from "./image-names.js";
import { canceledError, cleanupSignal, type LoadContext, linkedController, say } from "./load-context.js";
import type { LoadedImage } from "./load-options.js";

/** ctr's output kept for an error message: the end of it, this many characters at most. */
const MAX_OUTPUT_CHARS = 16_384;

/**
 * Imports the image into containerd in a container, as the gateway's cluster container holds the
 * images its Kubernetes runs: `ctr -n <namespace> images import -` run there through the runtime's
 * exec, its stdin fed from the source's `docker save` stream. Present already (a name with the same
 * config digest) is a no-op.
 */
export async function loadIntoContainerd(context: LoadContext, place: ContainerdPlace): Promise<LoadedImage> {
  const { image, id, signal, source } = context;
  const name = containerdName(image);
  const where = `containerd (namespace ${place.namespace} in container ${place.container})`;
  const result = (alreadyPresent: boolean, bytes: number): LoadedImage => ({
    image: name,
    id,
    into: "containerd",
    alreadyPresent,
    bytes,
  });

  const cli = await ContainerdCli.open(place, image, signal);
  const existing = cli.images.get(name);
  if (existing !== undefined && (await configIds(cli, existing, context)).includes(id)) {
    say(context, `${name} is already in ${where} with the same config digest (${id}): nothing to move`);
    return result(true, 0);
  }
  // Kubernetes' CRI names every image it knows by its id too (`sha256:<config digest>`).
  const byId = cli.images.get(id);
  if (byId !== undefined && (await configIds(cli, byId, context)).includes(id)) {
    await cli.tag(id, name, signal, image);
    say(context, `${where} already has ${id}: named it ${name}, nothing to move`);
    return result(true, 0);
  }

  const { controller, dispose } = linkedController(signal);
  const counter = countBytes({
    totalBytes: context.sourceInfo.sizeBytes,
    describe: (bytes, total) => `${describeBytes(bytes, total)} from ${source.kind} into ${where}`,
    onProgress: context.onProgress,
  });
  let pid: number | undefined;
  let sourceFailure: unknown;
  let feed: ArchiveFeed | undefined;
  try {
    say(context, `saving ${image} from ${source.kind} into ctr images import in ${place.container}`);
    const archive = (await source.saveImage(image, { signal: controller.signal })) as Readable;
    const importer = await cli.startImport(controller.signal);
    const finished = finishImport(importer, {
      onPid: (found) => {
        pid = found;
      },
      onExit: () => feed?.finish(),
    });
    // A source that fails midway cuts the exec: ctr sees its stdin end short and stops (and is
    // ended by pid below). ctr failing is told by its exit code, with what it printed.
    feed = feedArchive(archive, counter, {
      signal: controller.signal,
      sink: importer.stdin ?? undefined,
      onSourceFailure: (error) => {
        sourceFailure = error;
        controller.abort(error);
      },
    });
    const { exitCode, output } = await finished;
    if (exitCode !== 0) throw cli.failure("images import", { exitCode, output }, image);
    counter.flush();
    controller.signal.throwIfAborted();

    await settleName(cli, context, name);
    say(context, `${name} is in ${where} as ${id} (same config digest as in ${source.kind}: verified)`);
    return result(false, counter.bytes());
  } catch (error) {
    if (signal?.aborted || sourceFailure !== undefined) {
      const leftover = await removeImported(cli, context, pid);
      if (signal?.aborted) throw canceledError(context, where, signal.reason, leftover);
      throw new ContainerRuntimeError(
        `saving ${image} from ${source.kind} failed after ${counter.bytes()} bytes, so ${where} got no ` +
          `image: ${(sourceFailure as Error).message ?? String(sourceFailure)}. Check the source engine and ` +
          `load again.${leftover === undefined ? "" : ` ${leftover}`}`,
        { runtime: source.kind, cause: sourceFailure },
      );
    }
    throw error;
  } finally {
    feed?.stop();
    dispose();
  }
}

/** The image ids a manifest (or index) digest leads to, normalised. */
async function configIds(cli: ContainerdCli, digest: string, context: LoadContext): Promise<string[]> {
  return (await cli.configDigests(digest, context.signal, context.image)).map(normaliseImageId);
}

/**
 * Reads the import's output to its end and resolves with ctr's exit code and its output (the last
 * `MAX_OUTPUT_CHARS`), the wrapper's lines taken out. ctr's pid goes to `onPid` as soon as it is
 * said; `onExit` is called as soon as ctr has exited, to stop sending the archive (see
 * CTR_IN_SHELL). Should the engine still cut the connection after the exit line, that line is the answer.
 */
async function finishImport(
  importer: ExecProcess,
  on: { onPid: (pid: number) => void; onExit: () => void },
): Promise<{ exitCode: number; output: string }> {
  let text = "";
  let pidSeen = false;
  let exitSeen = false;
  try {
    for await (const chunk of importer.output) {
      text = (text + chunk.data.toString("utf8")).slice(-MAX_OUTPUT_CHARS);
      if (pidSeen && exitSeen) continue;
      const said = readWrapperLines(text);
      if (!pidSeen && said.pid !== undefined) {
        pidSeen = true;
        on.onPid(said.pid);
      }
      if (!exitSeen && said.exitCode !== undefined) {
        exitSeen = true;
        on.onExit();
      }
    }
  } catch (error) {
    const said = readWrapperLines(text);
    if (said.exitCode !== undefined) return { exitCode: said.exitCode, output: said.output };
    throw error;
  }
  const said = readWrapperLines(text);
  const { exitCode } = await importer.wait();
  return { exitCode: said.exitCode ?? exitCode, output: said.output };
}

/**
 * After the import: the archive names the image as the source does, which containerd may keep under
 * another name than Kubernetes will ask for (Podman's `localhost/x:1` for `x:1`, which Kubernetes
 * reads as `docker.io/x:1`), leaving `name` missing or on the image it named before. Then `name` is
 * tagged from the name the import made, which is removed unless it was there before. Finally `name`
 * must lead to the source's config digest.
 */
async function settleName(cli: ContainerdCli, context: LoadContext, name: string): Promise<void> {
  const { signal, image, id } = context;
  let images = await cli.listImages(signal, image);
  const current = images.get(name);
  if (current === undefined || !(await configIds(cli, current, context)).includes(id)) {
    // Names the import made or moved (CRI's own sha256: names aside) that lead to this image.
    const ours: string[] = [];
    for (const [ref, digest] of images) {
      if (ref === name || ref.startsWith("sha256:") || cli.images.get(ref) === digest) continue;
      if ((await configIds(cli, digest, context)).includes(id)) ours.push(ref);
    }
    if (ours[0] !== undefined) {
      await cli.tag(ours[0], name, signal, image);
      await cli.remove(
        ours.filter((ref) => !cli.images.has(ref)),
        signal,
        image,
      );
      images = await cli.listImages(signal, image);
    }
  }
  const digest = images.get(name);
  if (digest === undefined) {
    throw new ImageLoadError(
      `ctr imported the archive but containerd has no image ${name} afterwards. Check with ` +
        `\`ctr -n ${cli.place.namespace} images ls\` in ${cli.place.container}, then load again.`,
      { runtime: cli.place.runtime.kind, image: name, into: "containerd" },
    );
  }
  const ids = await configIds(cli, digest, context);
  if (!ids.includes(id)) {
    throw new ImageLoadError(
      `after the import, containerd's ${name} has config digest ${ids.join(", ") || "(none found)"}, not the ` +
        `source's ${id}: the archive was not this image. Check that nothing changed ${image} in ` +
        `${context.source.kind} during the load, then load again.`,
      { runtime: cli.place.runtime.kind, image: name, into: "containerd" },
    );
  }
}

/**
 * After a cancel: ends the import process if it still runs (closing the exec's connection does not
 * stop it), then removes every image name that was not there before and leads to the source's id.
 * Resolves with a sentence for the error when something could not be done.
 */
async function removeImported(
  cli: ContainerdCli,
  context: LoadContext,
  pid: number | undefined,
): Promise<string | undefined> {
  const signal = cleanupSignal();
  try {
    if (pid !== undefined && !(await cli.stopProcess(pid, signal))) {
      return `ctr images import (pid ${pid}) in ${cli.place.container} did not stop within 10 s: stop it yourself.`;
    }
    const images = await cli.listImages(signal, context.image);
    const stale: string[] = [];
    for (const [ref, digest] of images) {
      if (cli.images.has(ref)) continue;
      const ids = (await cli.configDigests(digest, signal, context.image)).map(normaliseImageId);
      if (ids.includes(context.id)) stale.push(ref);
    }
    await cli.remove(stale, signal, context.image);
    return undefined;
  } catch (error) {
    return (
      `Removing what the import may have left failed (${(error as Error).message}): check ` +
      `\`ctr -n ${cli.place.namespace} images ls\` in ${cli.place.container}.`
    );
  }
}
