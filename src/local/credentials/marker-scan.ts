import { ALIAS_MARKER, PLACEHOLDER_PREFIX } from "./placeholders.js";

const markers = [PLACEHOLDER_PREFIX, ALIAS_MARKER].map((m) => Buffer.from(m, "latin1"));

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Whether `marker` starts at `at` in `bytes`, each of its characters as itself or `%XX`. */
function matchesAt(bytes: Buffer, at: number, marker: Buffer): boolean {
  let pos = at;
  for (const want of marker) {
    const byte = bytes[pos];
    if (byte === want) {
      pos++;
      continue;
    }
    if (byte !== 0x25 || pos + 2 >= bytes.length) return false;
    const hi = hexValue(bytes[pos + 1] as number);
    const lo = hexValue(bytes[pos + 2] as number);
    if (hi < 0 || lo < 0 || hi * 16 + lo !== want) return false;
    pos += 3;
  }
  return true;
}

/**
 * Whether bytes hold a credential marker as they stand or once percent-decoded, as upstream's
 * `contains_reserved_credential_marker_bytes` finds them, without decoding the bytes: a streamed
 * body is scanned at hundreds of MiB/s this way, binary or not. Every marker upstream finds is
 * found (a marker starts with a letter that is no hex digit and holds no `%`, so each start can be
 * matched on its own); in odd bytes such as `%%6Fpenshell:...`, where upstream's decoder takes
 * `%%6` as one invalid escape, one more is found, which only ever refuses more.
 */
export function holdsMarkerBytes(bytes: Buffer): boolean {
  for (const marker of markers) {
    const first = marker[0] as number;
    // Raw occurrences first: one native search.
    if (bytes.indexOf(marker) >= 0) return true;
    for (let i = bytes.indexOf(0x25); i >= 0 && i < bytes.length; i = bytes.indexOf(0x25, i + 1)) {
      // An escape that may begin a marker (its first character encoded), or a marker begun as itself
      // a few bytes before this escape.
      for (let start = Math.max(0, i - marker.length); start <= i; start++) {
        if ((bytes[start] === first || start === i) && matchesAt(bytes, start, marker)) return true;
      }
    }
  }
  return false;
}
