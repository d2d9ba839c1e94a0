import type { Readable } from "node:stream";
import type { ContainerRuntime, ImageInfo } from "openshell/runtime";
import { ContainerRuntimeError } from "openshell/runtime";
import { ImageLoadError } from "../errors.js";
import { type ArchiveFeed, feedArchive } from "./archive-feed.js";
import { countBytes, describeBytes } from "./byte-progress.js";
import { normaliseImageId, refersToId } from "./image-names.js";
import {
  canceledError,
  cleanupSignal,
  inspectIfPresent,
  type LoadContext,
  linkedController,
  say,
} from "./load-context.js";
import type { LoadedImage } from "./load-options.js";

/** At most this many of the source's other names are checked for being in the target beforehand. */
const MAX_ALIASES = 16;

/**
 * Moves the image into another engine: the source's `docker save` stream piped straight into the
 * target's load, counted on the way, then the target's id checked against the source's. An image
 * the target already has (same id) is not moved; held under another name only, it is just named.
 */
export async function loadIntoEngine(context: LoadContext, target: ContainerRuntime): Promise<LoadedImage> {
  const { image, id, signal, source } = context;
  const byId = refersToId(image, id);
  // Asked by id, the target is asked by the full id: a short one may mean another image there.
  const name = byId ? id : image;
  const result = (alreadyPresent: boolean, bytes: number): LoadedImage => ({
    image: name,
    id,
    into: target.kind,
    alreadyPresent,
    bytes,
  });

  const before = await inspectIfPresent(target, name, signal);
  if (before !== undefined && normaliseImageId(before.id) === id) {
    say(context, `${name} is already in ${target.kind} with the same id (${id}): nothing to move`);
    return result(true, 0);
  }
  if (!byId) {
    const sameImage = await inspectIfPresent(target, id, signal);
    if (sameImage !== undefined) {
      await target.tagImage(id, image, signal === undefined ? {} : { signal });
      say(
        context,
        `${target.kind} already has ${id}${knownAs(sameImage)}: named it ${image}, nothing to move`,
      );
      return result(true, 0);
    }
  }

  // The archive names the image as the source does (Podman's `localhost/...`), which the target may
  // take as another name than `image`. Such a name is removed after the load unless it was there.
  const aliases = context.sourceInfo.tags.filter((tag) => tag !== image).slice(0, MAX_ALIASES);
  const hadAlias = new Set<string>();
  for (const alias of aliases) if (await target.hasImage(alias, { signal })) hadAlias.add(alias);

  const { controller, dispose } = linkedController(signal);
  const counter = countBytes({
    totalBytes: context.sourceInfo.sizeBytes,
    describe: (bytes, total) => `${describeBytes(bytes, total)} from ${source.kind} into ${target.kind}`,
    onProgress: context.onProgress,
  });
  let sourceFailure: unknown;
  let feed: ArchiveFeed | undefined;
  try {
    say(context, `saving ${image} from ${source.kind} straight into ${target.kind}'s load`);
    const archive = (await source.saveImage(name, { signal: controller.signal })) as Readable;
    // Streamed: the target reads the archive as the source writes it. A source that fails midway
    // must also stop the target's load, which would otherwise wait for the rest.
    feed = feedArchive(archive, counter, {
      signal: controller.signal,
      onSourceFailure: (error) => {
        sourceFailure = error;
        controller.abort(error);
      },
    });
    const loaded = await target.loadImage({ archive, signal: controller.signal });
    counter.flush();
    controller.signal.throwIfAborted();

    const after = await settleName(context, target, name, loaded, hadAlias);
    if (normaliseImageId(after.id) !== id) {
      throw new ImageLoadError(
        `after the load, ${target.kind} holds ${name} as ${after.id}, not the source's ${id}: the archive ` +
          `${source.kind} sent was not this image. Check that nothing changed ${image} in ${source.kind} ` +
          "during the load, then load it again.",
        { runtime: target.kind, image: name, into: target.kind },
      );
    }
    say(context, `${name} is in ${target.kind} as ${id} (same id as in ${source.kind}: verified)`);
    return result(false, counter.bytes());
  } catch (error) {
    if (signal?.aborted) {
      const leftover = await removeLoaded(context, target, name, before, hadAlias);
      throw canceledError(context, target.kind, signal.reason, leftover);
    }
    if (sourceFailure !== undefined) {
      const leftover = await removeLoaded(context, target, name, before, hadAlias);
      throw new ContainerRuntimeError(
        `saving ${image} from ${source.kind} failed after ${counter.bytes()} bytes, so ${target.kind} got ` +
          `no image: ${(sourceFailure as Error).message ?? String(sourceFailure)}. Check the source engine ` +
          `and load again.${leftover === undefined ? "" : ` ${leftover}`}`,
        { runtime: source.kind, cause: sourceFailure },
      );
    }
    throw error;
  } finally {
    feed?.stop();
    dispose();
  }
}

/**
 * Makes sure `name` is the loaded image in the target. An archive whose name the target reads
 * differently (Podman's `localhost/x:1` read by Docker) loads under that name, leaving `name`
 * missing or still on the image it named before: it is then moved to the loaded image by id, and
 * the other name removed unless it was there before.
 */
async function settleName(
  context: LoadContext,
  target: ContainerRuntime,
  name: string,
  loaded: readonly string[],
  hadAlias: ReadonlySet<string>,
): Promise<ImageInfo> {
  const { signal, id } = context;
  const options = signal === undefined ? {} : { signal };
  const after = await inspectIfPresent(target, name, signal);
  if (after !== undefined && normaliseImageId(after.id) === id) return after;
  if (name !== id && (await inspectIfPresent(target, id, signal)) !== undefined) {
    await target.tagImage(id, name, options);
    for (const alias of loaded) {
      if (alias === name || hadAlias.has(alias) || refersToId(alias, id)) continue;
      // Untags only: the image keeps `name`. A failure here leaves a second name, which is harmless.
      await target.removeImage(alias, options).catch(() => {});
    }
    return target.inspectImage(name, options);
  }
  // Present with another id: the caller's check says so. Absent: the load went nowhere.
  if (after !== undefined) return after;
  throw new ImageLoadError(
    `${target.kind} took the archive but has no image ${name} or ${id} afterwards (it reported loading: ` +
      `${loaded.join(", ") || "nothing"}). Check the engine's log, then load again.`,
    { runtime: target.kind, image: name, into: target.kind },
  );
}

/**
 * After a cancel or a failed source: removes what the load added, should the target have finished
 * it anyway, and gives `name` back to the image it named before. Runs with a signal of its own (the
 * caller's is aborted). Resolves with a sentence for the error when something could not be removed.
 */
async function removeLoaded(
  context: LoadContext,
  target: ContainerRuntime,
  name: string,
  before: ImageInfo | undefined,
  hadAlias: ReadonlySet<string>,
): Promise<string | undefined> {
  const signal = cleanupSignal();
  const isOurs = (info: ImageInfo | undefined) =>
    info !== undefined && normaliseImageId(info.id) === context.id;
  try {
    for (const alias of context.sourceInfo.tags.slice(0, MAX_ALIASES)) {
      if (alias === name || hadAlias.has(alias)) continue;
      if (isOurs(await inspectIfPresent(target, alias, signal))) await target.removeImage(alias, { signal });
    }
    if (isOurs(await inspectIfPresent(target, name, signal))) {
      await target.removeImage(name, { signal });
      if (before !== undefined) await target.tagImage(before.id, name, { signal });
    }
    return undefined;
  } catch (error) {
    return (
      `Removing what the load may have left in ${target.kind} failed (${(error as Error).message}): ` +
      `check for ${name} there and remove it if it is ${context.id}.`
    );
  }
}

function knownAs(info: ImageInfo): string {
  return info.tags.length > 0 ? ` (as ${info.tags.join(", ")})` : " (untagged)";
}
