import { ProtocolError } from "../../errors.js";
import type { ByteReader } from "./byte-reader.js";
import {
  BLOCK,
  decodeHeader,
  encodeHeader,
  padding,
  parsePax,
  type TarHeader,
  tooLong,
} from "./tar-header.js";

/** Who owns an entry: the engine extracts it with exactly these ids (no `copyUIDGID`). */
export interface EntryOwner {
  uid: number;
  gid: number;
}

/**
 * Writes an owner into a ustar header made by encodeHeader (which writes 0/0, what exec-side tar
 * ignores anyway) and recomputes its checksum. Ids are octal in 7 digits, as ustar has room for.
 */
export function withOwner(block: Buffer, owner: EntryOwner): Buffer {
  for (const [value, offset] of [
    [owner.uid, 108],
    [owner.gid, 116],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > 0o7777777) {
      throw new ProtocolError(`the sandbox's user id ${value} does not fit a tar header`);
    }
    block.write(`${value.toString(8).padStart(7, "0")}\0`, offset, 8, "ascii");
  }
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return block;
}

/** The headers that start a one-file archive: a GNU long name first when the name needs one. */
export function fileEntryStart(header: Omit<TarHeader, "type" | "linkname">, owner: EntryOwner): Buffer {
  const blocks: Buffer[] = [];
  if (tooLong(header.name)) {
    const name = Buffer.from(`${header.name}\0`, "utf8");
    blocks.push(
      withOwner(
        encodeHeader({
          name: "././@LongLink",
          mode: 0,
          size: name.length,
          mtime: 0,
          type: "gnu-longname",
          linkname: "",
        }),
        owner,
      ),
      name,
      Buffer.alloc(padding(name.length)),
    );
  }
  blocks.push(withOwner(encodeHeader({ ...header, type: "file", linkname: "" }), owner));
  return Buffer.concat(blocks);
}

/** What ends a one-file archive after `size` bytes of data: the data's padding and two zero blocks. */
export function fileEntryEnd(size: number): Buffer {
  return Buffer.alloc(padding(size) + 2 * BLOCK);
}

/** The first real entry of an engine's tar stream, with its owner; extended headers applied. */
export interface FirstEntry extends TarHeader {
  owner: EntryOwner;
}

function octalField(block: Buffer, offset: number): number {
  const text = block
    .toString("ascii", offset, offset + 8)
    .replace(/[\0 ]+$/, "")
    .trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

/**
 * Reads headers up to the first entry that is not an extended header (pax, GNU long name), which
 * is the path an engine was asked for; its data is what `reader` yields next.
 */
export async function readFirstEntry(reader: ByteReader): Promise<FirstEntry> {
  let pax = new Map<string, string>();
  let longName: string | undefined;
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block.length < BLOCK) throw new ProtocolError("the engine's archive ended before its first entry");
    const raw = decodeHeader(block);
    if (raw === undefined) throw new ProtocolError("the engine's archive holds no entry");
    if (raw.type === "pax" || raw.type === "pax-global" || raw.type === "gnu-longname") {
      const data = await reader.read(raw.size);
      await reader.read(padding(raw.size));
      if (raw.type === "pax") pax = parsePax(data);
      else if (raw.type === "gnu-longname") longName = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    return {
      ...raw,
      name: pax.get("path") ?? longName ?? raw.name,
      size: pax.has("size") ? Number(pax.get("size")) : raw.size,
      owner: {
        uid: pax.has("uid") ? Number(pax.get("uid")) : octalField(block, 108),
        gid: pax.has("gid") ? Number(pax.get("gid")) : octalField(block, 116),
      },
    };
  }
}
