import { posix } from "node:path";
import { NotFoundError, UnavailableError } from "../../errors.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import { firstTarEntry } from "./single-file-tar.js";

/**
 * One file of an image as a created (never started) container of it holds it: its text, nothing
 * there, or why it could not be read.
 */
export type ImageFileRead =
  | { kind: "file"; text: string }
  | { kind: "missing" }
  | { kind: "unreadable"; why: string };

/** How many symlinks a path may pass through (Linux's own limit). */
const MAX_LINKS = 40;

/**
 * Reads `path` of the created container through the engine's archive API, following symlinks (the
 * engine archives a link as a link: Fedora's bundle and Alpine's cert.pem are links), so nothing of
 * the image runs for it. A file larger than `maxBytes` is unreadable. Throws only the engine's
 * UnavailableError and `signal`'s reason; every other failure says why in the result.
 */
export async function readImageFile(
  runtime: Pick<ContainerRuntime, "getArchive">,
  containerId: string,
  path: string,
  options: { maxBytes: number; signal: AbortSignal },
): Promise<ImageFileRead> {
  let current = path;
  for (let links = 0; ; links++) {
    let archive: Buffer;
    try {
      archive = await archiveOf(runtime, containerId, current, options);
    } catch (error) {
      if (error instanceof NotFoundError) return { kind: "missing" };
      if (error instanceof UnavailableError || options.signal.aborted) throw error;
      return { kind: "unreadable", why: `${path} could not be read: ${(error as Error).message}` };
    }
    let entry: ReturnType<typeof firstTarEntry>;
    try {
      entry = firstTarEntry(archive);
    } catch (error) {
      return { kind: "unreadable", why: `${path} could not be read: ${(error as Error).message}` };
    }
    if (entry.kind === "file") return { kind: "file", text: entry.content.toString("utf8") };
    if (entry.kind === "other" || links >= MAX_LINKS) {
      const what = entry.kind === "other" ? `is a ${entry.type}` : "passes through too many symlinks";
      return { kind: "unreadable", why: `${path} ${what}, not a file` };
    }
    current = posix.resolve(posix.dirname(current), entry.target);
  }
}

async function archiveOf(
  runtime: Pick<ContainerRuntime, "getArchive">,
  containerId: string,
  path: string,
  options: { maxBytes: number; signal: AbortSignal },
): Promise<Buffer> {
  const stream = await runtime.getArchive(containerId, { path, signal: options.signal });
  const chunks: Buffer[] = [];
  let size = 0;
  // The tar headers around the file are a few blocks: the limit is on the file, with room for them.
  const limit = options.maxBytes + 64 * 1024;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`it is larger than ${Math.round(options.maxBytes / 1024)} KiB`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
