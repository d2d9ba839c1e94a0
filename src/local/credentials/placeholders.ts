/**
 * Upstream's credential placeholder grammar (openshell-core `secrets.rs`): what a sandbox's
 * environment holds in place of a provider credential, and how the egress proxy finds one in a
 * request. Only the forms matter here, never a value.
 */

/** Every placeholder starts with this. */
export const PLACEHOLDER_PREFIX = "openshell:resolve:env:";
/** Upstream's provider-shaped alias marker (`sk-OPENSHELL-RESOLVE-ENV-KEY`); local mode issues none. */
export const ALIAS_MARKER = "OPENSHELL-RESOLVE-ENV-";

/** A placeholder as found in a request. */
export type Placeholder =
  /** `openshell:resolve:env:v<revision>_KEY`: what local mode issues. */
  | { readonly form: "revisioned"; readonly key: string; readonly revision: bigint }
  /** `openshell:resolve:env:s<64 hex>_KEY` (gateway-refreshed credentials) or `...:env:KEY`. */
  | { readonly form: "stable" | "canonical"; readonly key: string }
  /** `<prefix>OPENSHELL-RESOLVE-ENV-KEY`. */
  | { readonly form: "alias"; readonly key: string };

const envKey = /^[A-Za-z_][A-Za-z0-9_]*$/;
const keyChars = /[A-Za-z0-9_]/;
const aliasChars = /[A-Za-z0-9_.~-]/;

/** Whether `key` can name an environment variable (upstream's is_valid_env_key). */
export function isValidEnvKey(key: string): boolean {
  return envKey.test(key);
}

/** Keys shaped like a placeholder's own tail (`v12_X`, `s<64 hex>_X`): upstream never injects them. */
export function usesReservedNamespace(key: string): boolean {
  return /^v[0-9]+_[A-Za-z0-9_]+$/.test(key) || /^s[0-9a-f]{64}_[A-Za-z0-9_]+$/.test(key);
}

/** The placeholder a sandbox's environment holds for `key` at provider-environment `revision`. */
export function placeholderFor(key: string, revision: bigint): string {
  return `${PLACEHOLDER_PREFIX}v${revision}_${key}`;
}

/** Reads a whole token (as {@link tokenAt} cut it); undefined when it is not a placeholder. */
export function parsePlaceholder(token: string): Placeholder | undefined {
  if (token.startsWith(PLACEHOLDER_PREFIX)) {
    const tail = token.slice(PLACEHOLDER_PREFIX.length);
    const revisioned = /^v([0-9]+)_([A-Za-z0-9_]+)$/.exec(tail);
    if (revisioned)
      return { form: "revisioned", revision: BigInt(revisioned[1] as string), key: revisioned[2] as string };
    const stable = /^s[0-9a-f]{64}_([A-Za-z0-9_]+)$/.exec(tail);
    if (stable) return { form: "stable", key: stable[1] as string };
    return /^[A-Za-z0-9_]+$/.test(tail) ? { form: "canonical", key: tail } : undefined;
  }
  const marker = token.indexOf(ALIAS_MARKER);
  if (marker <= 0) return undefined;
  const key = token.slice(marker + ALIAS_MARKER.length);
  const prefixOk = [...token.slice(0, marker)].every((c) => aliasChars.test(c));
  return prefixOk && /^[A-Za-z0-9_]+$/.test(key) ? { form: "alias", key } : undefined;
}

/** Whether `text` holds a placeholder prefix or alias marker as it stands. */
export function containsRawMarker(text: string): boolean {
  return text.includes(PLACEHOLDER_PREFIX) || text.includes(ALIAS_MARKER);
}

/** Whether `text` holds a marker as it stands or once percent-decoded (upstream fails closed on both). */
export function containsMarker(text: string): boolean {
  if (containsRawMarker(text)) return true;
  return text.includes("%") && containsRawMarker(percentDecode(text));
}

/**
 * The next placeholder-looking token in `text` from `from`: its start, its end and the token; the
 * token is undefined when a marker is there but no well-formed token around it (a request upstream
 * refuses). Undefined when no marker is left.
 */
export function nextToken(
  text: string,
  from: number,
): { start: number; end: number; token: string | undefined } | undefined {
  const canonical = text.indexOf(PLACEHOLDER_PREFIX, from);
  const marker = text.indexOf(ALIAS_MARKER, from);
  let alias = -1;
  if (marker >= 0) {
    alias = marker;
    while (alias > from && aliasChars.test(text.charAt(alias - 1))) alias--;
  }
  if (canonical < 0 && alias < 0) return undefined;
  if (canonical >= 0 && (alias < 0 || canonical <= alias)) {
    let end = canonical + PLACEHOLDER_PREFIX.length;
    while (end < text.length && keyChars.test(text.charAt(end))) end++;
    // `...v1_KEYopenshell:resolve:env:...`: two placeholders back to back; the key ends before the next.
    const glued = text.lastIndexOf("openshell", end);
    if (glued > canonical + PLACEHOLDER_PREFIX.length && text.startsWith(PLACEHOLDER_PREFIX, glued))
      end = glued;
    const token = end > canonical + PLACEHOLDER_PREFIX.length ? text.slice(canonical, end) : undefined;
    return { start: canonical, end: Math.max(end, canonical + PLACEHOLDER_PREFIX.length), token };
  }
  let end = marker + ALIAS_MARKER.length;
  while (end < text.length && keyChars.test(text.charAt(end))) end++;
  const boundary = end === text.length || !aliasChars.test(text.charAt(end));
  const wellFormed = alias < marker && end > marker + ALIAS_MARKER.length && boundary;
  return {
    start: alias,
    end: Math.max(end, marker + ALIAS_MARKER.length),
    token: wellFormed ? text.slice(alias, end) : undefined,
  };
}

/**
 * The bytes `input` percent-decodes to (an escape not followed by two hex digits kept as it is, as
 * upstream); with `plusIsSpace`, `+` is a space, as in form bodies.
 */
export function percentDecodeBytes(input: string, plusIsSpace = false): Buffer {
  const raw = Buffer.from(input, "utf8");
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (b === 0x2b && plusIsSpace) {
      bytes.push(0x20);
      continue;
    }
    if (b === 0x25 && i + 2 < raw.length) {
      const hex = String.fromCharCode(raw[i + 1] as number, raw[i + 2] as number);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    bytes.push(b);
  }
  return Buffer.from(bytes);
}

/** Percent-decodes (invalid escapes kept as they are; bytes that are not UTF-8 become U+FFFD, as upstream). */
export function percentDecode(input: string): string {
  if (!input.includes("%")) return input;
  return percentDecodeBytes(input).toString("utf8");
}

function percentEncode(input: string, keep: RegExp): string {
  let out = "";
  for (const byte of Buffer.from(input, "utf8")) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && keep.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Encodes a query value: everything but RFC 3986's unreserved characters. */
export function percentEncodeQuery(input: string): string {
  return percentEncode(input, /[A-Za-z0-9._~-]/);
}

/** Encodes a path segment: keeps pchar (unreserved, sub-delims, `:` and `@`). */
export function percentEncodePathSegment(input: string): string {
  return percentEncode(input, /[A-Za-z0-9._~!$&'()*+,;=:@-]/);
}

/** Encodes a form value (application/x-www-form-urlencoded): letters, digits and `-._*` kept, a space as `+`. */
export function percentEncodeForm(input: string): string {
  return percentEncode(input, /[A-Za-z0-9._* -]/).replaceAll(" ", "+");
}

/**
 * The path with each placeholder (or marker) of each segment as `[CREDENTIAL]`, segments without
 * one left as they came: what credential bindings are matched against, as upstream.
 */
export function redactedPath(path: string): string {
  return path
    .split("/")
    .map((segment) => {
      const decoded = percentDecode(segment);
      if (!containsRawMarker(decoded)) return segment;
      let out = "";
      let pos = 0;
      for (let found = nextToken(decoded, pos); found !== undefined; found = nextToken(decoded, pos)) {
        out += `${decoded.slice(pos, found.start)}[CREDENTIAL]`;
        pos = found.end;
      }
      return out + decoded.slice(pos);
    })
    .join("/");
}
