import { createHash } from "node:crypto";

// RFC 4648 base32 in lowercase, without padding: only letters and digits, so its output is valid
// in sandbox names (DNS labels) and label values alike, whatever bytes it encodes.
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** Encodes bytes as lowercase unpadded base32 (`a-z`, `2-7`). */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes {@link base32Encode}'s output; undefined for text it could not have produced. */
export function base32Decode(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = ALPHABET.indexOf(char);
    if (value === -1) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 255);
    }
    buffer &= (1 << bits) - 1;
  }
  // Leftover bits are padding: fewer than 5, all zero, or the text was not an encoding.
  if (bits >= 5 || buffer !== 0) return undefined;
  return Uint8Array.from(bytes);
}

/**
 * A short, stable hash of `parts`: base32 of SHA-256, `length` characters. The parts are
 * JSON-encoded together so that `["a/b", "c"]` and `["a", "b/c"]` never hash alike.
 */
export function shortHash(parts: readonly string[], length: number): string {
  const digest = createHash("sha256").update(JSON.stringify(parts)).digest();
  return base32Encode(digest).slice(0, length);
}
