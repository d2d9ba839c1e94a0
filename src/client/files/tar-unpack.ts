import { chmod, link, lstat, mkdir, open, rm, symlink, utimes } from "node:fs/promises";
import { join, posix } from "node:path";
import { ProtocolError } from "../../errors.js";
import { ByteReader } from "./byte-reader.js";
import { BLOCK, decodeHeader, padding, parsePax, type TarHeader } from "./tar-header.js";
import { CHUNK_BYTES } from "./write-source.js";

/**
 * The archive-relative path of an entry, or undefined for the root. Absolute names and `..` are
 * refused: a sandbox's tar stream is untrusted and must not place files outside the destination.
 */
function relativeName(name: string): string | undefined {
  const normalized = posix.normalize(name.replace(/^(\.\/)+/, "")).replace(/\/+$/, "");
  if (normalized === "." || normalized === "") return undefined;
  if (normalized.startsWith("/") || normalized === ".." || normalized.startsWith("../")) {
    throw new ProtocolError(
      `the sandbox's tar stream names a path outside the directory: ${JSON.stringify(name)}`,
    );
  }
  return normalized;
}

/**
 * Unpacks a tar stream into `root` (an empty local directory). Symlinks are recreated as links and
 * never written through: each entry's parent directories are checked to be real directories, so a
 * link in the archive cannot send a later entry outside `root`. Modes and mtimes are restored
 * (directories last, once their contents are in place); owners are not.
 */
export async function unpackTree(
  source: AsyncIterable<Uint8Array>,
  root: string,
  onFileBytes: (bytes: number) => void,
): Promise<void> {
  const reader = new ByteReader(source);
  const realDirs = new Set<string>([""]);
  const directories: { path: string; header: TarHeader }[] = [];
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();

  const checkParents = async (relative: string): Promise<void> => {
    const parts = relative.split("/").slice(0, -1);
    let at = "";
    for (const part of parts) {
      at = at === "" ? part : `${at}/${part}`;
      if (realDirs.has(at)) continue;
      const stats = await lstat(join(root, at)).catch(() => undefined);
      if (stats === undefined) await mkdir(join(root, at));
      else if (!stats.isDirectory()) {
        throw new ProtocolError(
          `the sandbox's tar stream writes through a non-directory at ${JSON.stringify(at)}`,
        );
      }
      realDirs.add(at);
    }
  };
  const readData = async (size: number): Promise<Buffer> => {
    const data = await reader.read(size);
    await reader.read(padding(size));
    return data;
  };

  try {
    for (;;) {
      const block = await reader.read(BLOCK);
      if (block.length < BLOCK) throw new ProtocolError("the sandbox's tar stream ended inside an entry");
      const raw = decodeHeader(block);
      if (raw === undefined) break;
      if (raw.type === "gnu-longname")
        longName = (await readData(raw.size)).toString("utf8").replace(/\0+$/, "");
      else if (raw.type === "gnu-longlink")
        longLink = (await readData(raw.size)).toString("utf8").replace(/\0+$/, "");
      else if (raw.type === "pax") pax = parsePax(await readData(raw.size));
      else if (raw.type === "pax-global") await readData(raw.size);
      if (["gnu-longname", "gnu-longlink", "pax", "pax-global"].includes(raw.type)) continue;

      const header: TarHeader = {
        ...raw,
        name: pax.get("path") ?? longName ?? raw.name,
        linkname: pax.get("linkpath") ?? longLink ?? raw.linkname,
        size: pax.has("size") ? Number(pax.get("size")) : raw.size,
        mtime: pax.has("mtime") ? Number(pax.get("mtime")) : raw.mtime,
      };
      longName = undefined;
      longLink = undefined;
      pax = new Map();
      const relative = relativeName(header.name);
      const target = relative === undefined ? root : join(root, relative);
      if (relative !== undefined) await checkParents(relative);

      if (header.type === "directory") {
        if (relative !== undefined) {
          const stats = await lstat(target).catch(() => undefined);
          if (stats && !stats.isDirectory()) await rm(target, { force: true });
          if (!stats?.isDirectory()) await mkdir(target);
          realDirs.add(relative);
        }
        directories.push({ path: target, header });
        await readData(header.size);
        continue;
      }
      if (relative === undefined)
        throw new ProtocolError("the sandbox's tar stream has a non-directory root");
      await rm(target, { force: true, recursive: true });
      realDirs.delete(relative);
      if (header.type === "file") {
        const file = await open(target, "wx", 0o600);
        try {
          for (let left = header.size; left > 0; ) {
            const chunk = await reader.readSome(Math.min(left, CHUNK_BYTES));
            if (chunk.length === 0) throw new ProtocolError("the sandbox's tar stream ended inside a file");
            await file.write(chunk);
            left -= chunk.length;
            onFileBytes(chunk.length);
          }
        } finally {
          await file.close();
        }
        await reader.read(padding(header.size));
        await chmod(target, header.mode & 0o7777);
        await utimes(target, header.mtime, header.mtime);
      } else if (header.type === "symlink") {
        await symlink(header.linkname, target);
      } else if (header.type === "hardlink") {
        const linked = relativeName(header.linkname);
        if (linked === undefined) throw new ProtocolError("the sandbox's tar stream links to its root");
        // The link's source must be a file already unpacked here, reached through real directories.
        await checkParents(linked);
        const source = await lstat(join(root, linked)).catch(() => undefined);
        if (!source?.isFile()) {
          throw new ProtocolError(
            `the sandbox's tar stream hard-links to ${JSON.stringify(linked)}, not a file it holds`,
          );
        }
        await link(join(root, linked), target);
      } else {
        // Devices, FIFOs and the like: skipped, with their data (normally none).
        await readData(header.size);
      }
    }
    // Whatever follows the end marker (the second zero block, padding) is read so the exec ends.
    await reader.drain();
  } catch (error) {
    await reader.close().catch(() => undefined);
    throw error;
  }
  // Deepest first, so a read-only directory does not stop its children from being placed.
  for (const { path, header } of directories.reverse()) {
    await chmod(path, header.mode & 0o7777);
    await utimes(path, header.mtime, header.mtime);
  }
}
