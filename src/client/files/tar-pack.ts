import type { Stats } from "node:fs";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { FailedPreconditionError } from "../../errors.js";
import { BLOCK, encodeHeader, padding, type TarHeader, tooLong } from "./tar-header.js";
import { CHUNK_BYTES } from "./write-source.js";

/** One local path to archive, found by `walkTree`. */
export interface PackEntry {
  /** Absolute local path. */
  local: string;
  /** Name in the archive: `.` for the root, `./a/b` below it (directories end in `/`). */
  name: string;
  stats: Stats;
}

/**
 * Lists a local tree depth first, parents before children, without following symlinks below the
 * root (a link is archived as a link). Sockets, FIFOs and devices cannot be recreated by an unprivileged sandbox
 * user, so they are refused rather than silently left out.
 */
export async function walkTree(root: string): Promise<PackEntry[]> {
  const entries: PackEntry[] = [];
  const visit = async (local: string, name: string): Promise<void> => {
    // The root named by the caller may be a link to a directory (it is followed); nothing below is.
    const stats = name === "." ? await stat(local) : await lstat(local);
    if (stats.isDirectory()) {
      entries.push({ local, name: `${name}/`, stats });
      const children = (await readdir(local)).sort();
      for (const child of children) await visit(join(local, child), `${name}/${child}`);
    } else if (stats.isFile() || stats.isSymbolicLink()) {
      entries.push({ local, name, stats });
    } else {
      throw new FailedPreconditionError(
        `upload cannot copy ${JSON.stringify(local)}: it is not a file, directory or symlink (a socket, FIFO or device); remove it from the tree or upload the files one by one`,
      );
    }
  };
  await visit(root, ".");
  return entries;
}

/** The bytes of regular files in a walked tree: the progress total of an upload. */
export function treeBytes(entries: PackEntry[]): number {
  return entries.reduce((sum, e) => sum + (e.stats.isFile() ? e.stats.size : 0), 0);
}

function longEntry(type: "gnu-longname" | "gnu-longlink", value: string): Buffer[] {
  const data = Buffer.from(`${value}\0`, "utf8");
  const header = encodeHeader({
    name: "././@LongLink",
    mode: 0,
    size: data.length,
    mtime: 0,
    type,
    linkname: "",
  });
  return [header, data, Buffer.alloc(padding(data.length))];
}

/**
 * Archives walked entries as a tar stream in chunks of at most CHUNK_BYTES: file contents are read
 * as they are sent, never whole. A file that changes size while read fails the upload, since its
 * header already promised the old size.
 */
export async function* packTree(
  entries: PackEntry[],
  onFileBytes: (bytes: number) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  for (const entry of entries) {
    const { stats } = entry;
    const type = stats.isDirectory() ? "directory" : stats.isSymbolicLink() ? "symlink" : "file";
    const linkname = type === "symlink" ? await readlink(entry.local) : "";
    const header: TarHeader = {
      name: entry.name,
      mode: stats.mode,
      size: type === "file" ? stats.size : 0,
      mtime: stats.mtimeMs / 1000,
      type,
      linkname,
    };
    if (tooLong(header.name)) yield Buffer.concat(longEntry("gnu-longname", header.name));
    if (tooLong(linkname)) yield Buffer.concat(longEntry("gnu-longlink", linkname));
    yield encodeHeader(header);
    if (type !== "file") continue;
    let sent = 0;
    for await (const chunk of createReadStream(entry.local, { highWaterMark: CHUNK_BYTES })) {
      const bytes = chunk as Buffer;
      sent += bytes.length;
      if (sent > header.size) break;
      onFileBytes(bytes.length);
      yield bytes;
    }
    if (sent !== header.size) {
      throw new FailedPreconditionError(
        `upload: ${JSON.stringify(entry.local)} changed size while it was being sent; upload again once it is stable`,
      );
    }
    const pad = padding(header.size);
    if (pad > 0) yield Buffer.alloc(pad);
  }
  // The end of an archive: two zero blocks.
  yield Buffer.alloc(2 * BLOCK);
}
