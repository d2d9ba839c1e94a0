/** What an engine's archive of one path holds: the file's bytes, a symlink's target, or something else. */
export type ArchivedPath =
  | { kind: "file"; content: Buffer }
  | { kind: "link"; target: string }
  | { kind: "other"; type: string };

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/**
 * The first entry of a tar archive (`GET /containers/{id}/archive` of one path), pax and GNU
 * long-name headers skipped. Throws when the archive is cut short or holds no entry.
 */
export function firstTarEntry(archive: Buffer): ArchivedPath {
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] as number);
    const body = at + BLOCK;
    if (!Number.isSafeInteger(size) || body + size > archive.length)
      throw new Error("the archive is cut short");
    // Extended headers describe the next entry (long names, attributes): the entry itself follows.
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      at = body + Math.ceil(size / BLOCK) * BLOCK;
      continue;
    }
    if (type === "0" || type === "\0" || type === "7") {
      return { kind: "file", content: Buffer.from(archive.subarray(body, body + size)) };
    }
    if (type === "2") return { kind: "link", target: field(header, 157, 100) };
    return { kind: "other", type: type === "5" ? "directory" : `tar type ${JSON.stringify(type)}` };
  }
  throw new Error("the archive holds no entry");
}
