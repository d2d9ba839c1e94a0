import { ProtocolError } from "../../errors.js";

/** What kind of thing a path is. Symlinks are reported as links, not followed. */
export type FileType = "file" | "directory" | "symlink" | "other";

/** One file, directory or link in a sandbox, as `list()` and `stat()` describe it. */
export interface FileEntry {
  /** The last path segment (`/` for the root). */
  name: string;
  /** The absolute path in the sandbox. */
  path: string;
  type: FileType;
  /** Size in bytes (for a symlink, the length of its target). */
  size: number;
  /** Permission bits, e.g. `0o644` (setuid, setgid and sticky included). */
  mode: number;
  /** Last modification, to the second. */
  mtime: Date;
}

const S_IFMT = 0o170000;
const typeBits = new Map<number, FileType>([
  [0o100000, "file"],
  [0o040000, "directory"],
  [0o120000, "symlink"],
]);

/**
 * Parses the records the stat and list scripts print: `"<raw mode, hex> <size> <mtime>\n<name>\0"`
 * per entry. Names are split on NUL (which a name can never hold) and decoded as UTF-8.
 */
export function parseEntries(output: Buffer, directory: string | undefined): FileEntry[] {
  const entries: FileEntry[] = [];
  let at = 0;
  while (at < output.length) {
    const nl = output.indexOf(0x0a, at);
    const nul = nl < 0 ? -1 : output.indexOf(0x00, nl + 1);
    if (nl < 0 || nul < 0) throw new ProtocolError("the sandbox's stat output was cut short");
    const fields = output.subarray(at, nl).toString("utf8").trim().split(/\s+/);
    const name = output.subarray(nl + 1, nul).toString("utf8");
    at = nul + 1;
    const [rawMode, size, mtime] = fields.map((f, i) => (i === 0 ? Number.parseInt(f, 16) : Number(f)));
    if (fields.length !== 3 || [rawMode, size, mtime].some((n) => n === undefined || !Number.isFinite(n))) {
      throw new ProtocolError(
        `the sandbox's stat printed an unexpected line: ${JSON.stringify(fields.join(" "))}`,
      );
    }
    const raw = rawMode as number;
    const path = directory === undefined ? "" : directory === "/" ? `/${name}` : `${directory}/${name}`;
    entries.push({
      name,
      path,
      type: typeBits.get(raw & S_IFMT) ?? "other",
      size: size as number,
      mode: raw & 0o7777,
      mtime: new Date((mtime as number) * 1000),
    });
  }
  return entries;
}
