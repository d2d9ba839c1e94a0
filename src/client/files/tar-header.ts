import { ProtocolError } from "../../errors.js";

/** Tar works in 512-byte blocks: each header is one, each file's data is padded to a whole number. */
export const BLOCK = 512;

/** The entry types this SDK writes and reads (others are skipped on read). */
export type TarType =
  | "file"
  | "directory"
  | "symlink"
  | "hardlink"
  | "gnu-longname"
  | "gnu-longlink"
  | "pax"
  | "pax-global"
  | "other";

const typeFlags: Record<string, TarType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "5": "directory",
  "2": "symlink",
  "1": "hardlink",
  L: "gnu-longname",
  K: "gnu-longlink",
  x: "pax",
  g: "pax-global",
};
const flagOf: Partial<Record<TarType, string>> = {
  file: "0",
  directory: "5",
  symlink: "2",
  "gnu-longname": "L",
  "gnu-longlink": "K",
};

/** One header's fields, names as raw bytes decoded to UTF-8. */
export interface TarHeader {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  type: TarType;
  linkname: string;
}

/** Pads a data length to the block size. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  const digits = value.toString(8);
  if (digits.length < length) {
    block.write(`${digits.padStart(length - 1, "0")}\0`, offset, length, "ascii");
    return;
  }
  // GNU base-256 for values octal cannot hold (files of 8 GiB and more): high bit set, big-endian.
  let rest = BigInt(value);
  for (let i = offset + length - 1; i > offset; i--) {
    block[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[offset] = 0x80;
}

function readNumber(block: Buffer, offset: number, length: number): number {
  if ((block[offset] ?? 0) & 0x80) {
    let value = 0n;
    for (let i = offset + 1; i < offset + length; i++) value = (value << 8n) | BigInt(block[i] ?? 0);
    return Number(value);
  }
  const text = block
    .toString("ascii", offset, offset + length)
    .replace(/[\0 ]+$/, "")
    .trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString("utf8", offset, end < 0 || end > offset + length ? offset + length : end);
}

/**
 * Encodes one ustar header. Names and link targets must fit their 100-byte fields: longer ones go
 * in a GNU long-name entry first (see `longNameHeader`), which GNU tar and busybox tar both read.
 */
export function encodeHeader(header: TarHeader): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(header.name, 0, 100, "utf8");
  writeOctal(block, header.mode & 0o7777, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, header.size, 124, 12);
  writeOctal(block, Math.max(0, Math.floor(header.mtime)), 136, 12);
  block.write(flagOf[header.type] ?? "0", 156, 1, "ascii");
  block.write(header.linkname, 157, 100, "utf8");
  block.write("ustar\0" + "00", 257, 8, "ascii");
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return block;
}

/** Decodes one header, or undefined for an all-zero block (the archive's end). */
export function decodeHeader(block: Buffer): TarHeader | undefined {
  if (block.every((b) => b === 0)) return undefined;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  if (sum !== readNumber(block, 148, 8)) {
    throw new ProtocolError("the sandbox's tar stream has a damaged header (checksum mismatch)");
  }
  let name = readString(block, 0, 100);
  const prefix = block.toString("ascii", 257, 262) === "ustar" ? readString(block, 345, 155) : "";
  // GNU format keeps other data where ustar has its prefix; only plain ustar ("ustar\0") has one.
  if (prefix !== "" && block[262] === 0) name = `${prefix}/${name}`;
  return {
    name,
    mode: readNumber(block, 100, 8),
    size: readNumber(block, 124, 12),
    mtime: readNumber(block, 136, 12),
    type: typeFlags[String.fromCharCode(block[156] ?? 0)] ?? "other",
    linkname: readString(block, 157, 100),
  };
}

/** Whether a name needs a GNU long-name entry (its UTF-8 bytes do not fit 100 with the NUL). */
export function tooLong(name: string): boolean {
  return Buffer.byteLength(name, "utf8") > 99;
}

/** Parses a pax extended header's `<length> <key>=<value>\n` records. */
export function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number.parseInt(data.toString("ascii", at, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.toString("utf8", space + 1, at + length - 1);
    const eq = record.indexOf("=");
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}
