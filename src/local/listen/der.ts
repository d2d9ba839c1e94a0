/**
 * The few DER (ASN.1 Distinguished Encoding Rules) pieces an X.509 certificate is made of, written
 * and read by hand: local mode mints its certificates with these and Node's crypto, because an
 * X.509 library loaded for that cost every local gateway about 10 MiB of memory for its life.
 */

/** One DER element: its tag, its whole encoding, and its contents (views into the source bytes). */
export interface DerElement {
  tag: number;
  whole: Buffer;
  contents: Buffer;
}

/** A tag with its contents; the length is written in DER's shortest form. */
export function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

/** A SEQUENCE of already encoded elements. */
export const sequence = (...items: Buffer[]): Buffer => der(0x30, ...items);
/** A SET of already encoded elements (the caller gives them in DER's order; names here hold one). */
export const set = (...items: Buffer[]): Buffer => der(0x31, ...items);
/** An OCTET STRING. */
export const octetString = (bytes: Buffer): Buffer => der(0x04, bytes);
/** BOOLEAN TRUE (DER writes FALSE by leaving a DEFAULT FALSE field out). */
export const booleanTrue = (): Buffer => der(0x01, Buffer.from([0xff]));

/** A non-negative INTEGER from its big-endian bytes, kept minimal and positive. */
export function integer(bytes: Buffer): Buffer {
  let at = 0;
  while (at < bytes.length - 1 && bytes[at] === 0 && ((bytes[at + 1] ?? 0) & 0x80) === 0) at++;
  const trimmed = bytes.subarray(at);
  const positive = ((trimmed[0] ?? 0) & 0x80) === 0 ? trimmed : Buffer.concat([Buffer.from([0]), trimmed]);
  return der(0x02, positive.length === 0 ? Buffer.from([0]) : positive);
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map((arc) => Number.parseInt(arc, 10));
  const [first = 0, second = 0, ...rest] = arcs;
  const out = [40 * first + second];
  for (const arc of rest) {
    const bytes = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return der(0x06, Buffer.from(out));
}

/**
 * A BIT STRING of named bits (bit 0 is the first, most significant, one), trailing zero bits
 * dropped as DER requires (RFC 5280's KeyUsage).
 */
export function namedBits(bits: readonly number[]): Buffer {
  const last = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(last / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  const unused = 7 - (last & 7);
  return der(0x03, Buffer.from([unused]), bytes);
}

/** A time as RFC 5280 wants it: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-07T20:22:03.123Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year < 2050
    ? der(0x17, Buffer.from(digits.slice(2), "latin1"))
    : der(0x18, Buffer.from(digits, "latin1"));
}

/** A directory string: PrintableString when the text allows it (as most CAs write names), else UTF8String. */
export function directoryString(text: string): Buffer {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)
    ? der(0x13, Buffer.from(text, "latin1"))
    : der(0x0c, Buffer.from(text, "utf8"));
}

/** Reads the element at `at` in `bytes`. @throws Error when the bytes are not DER. */
export function readElement(bytes: Buffer, at = 0): DerElement {
  const tag = bytes[at];
  const first = bytes[at + 1];
  if (tag === undefined || first === undefined) throw new Error("DER: truncated element");
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error("DER: unsupported length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[at + 2 + i] ?? 0);
    header += count;
  }
  const end = at + header + length;
  if (end > bytes.length) throw new Error("DER: element runs past its container");
  return { tag, whole: bytes.subarray(at, end), contents: bytes.subarray(at + header, end) };
}

/** The elements a constructed element (a SEQUENCE, a SET, an explicit tag) holds, in order. */
export function children(element: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = 0; at < element.contents.length; ) {
    const child = readElement(element.contents, at);
    out.push(child);
    at += child.whole.length;
  }
  return out;
}
