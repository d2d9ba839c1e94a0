import { ProtocolError } from "../../errors.js";

/**
 * The line the reading scripts print on stdout right before the file's bytes. A gateway that
 * predates `no_login_shell` runs every exec through a login shell, whose startup files may print
 * something first; everything up to this line is that, never the file.
 */
export const BEGIN = "openshell-files:begin\n";

/** More output than this before BEGIN is not a shell's greeting: the stream is not what it seems. */
const MAX_PREAMBLE = 64 * 1024;

/**
 * Drops stdout up to and including `marker`, then passes the bytes on untouched (found across
 * chunk boundaries; the search is on bytes, so no decoding ever touches the file's contents).
 */
export async function* afterMarker(
  chunks: AsyncIterable<Uint8Array>,
  marker: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const needle = Buffer.from(marker, "latin1");
  let head = Buffer.alloc(0);
  let found = false;
  for await (const chunk of chunks) {
    if (found) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    const at = head.indexOf(needle);
    if (at >= 0) {
      found = true;
      const rest = head.subarray(at + needle.length);
      head = Buffer.alloc(0);
      if (rest.length > 0) yield rest;
    } else if (head.length > MAX_PREAMBLE + needle.length) {
      throw new ProtocolError(
        "the sandbox printed more than 64 KiB before the file began (a login shell's startup files?); the transfer was stopped",
      );
    }
  }
  if (!found) throw new ProtocolError("the sandbox's command ended before the file began");
}

/**
 * Reads one header line (at most 64 bytes, such as the read script's `size:<n>`) off the front of
 * stdout, hands it to `onLine`, and passes the rest on untouched. On stdout, unlike stderr, it
 * cannot arrive after the first bytes of the file.
 */
export async function* afterHeaderLine(
  chunks: AsyncIterable<Uint8Array>,
  onLine: (line: string) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  let head = Buffer.alloc(0);
  let found = false;
  for await (const chunk of chunks) {
    if (found) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(0x0a);
    if (nl >= 0) {
      found = true;
      onLine(head.subarray(0, nl).toString("latin1"));
      const rest = head.subarray(nl + 1);
      head = Buffer.alloc(0);
      if (rest.length > 0) yield rest;
    } else if (head.length > 64) {
      throw new ProtocolError("the sandbox's read began without its header line");
    }
  }
  if (!found) throw new ProtocolError("the sandbox's command ended before the file began");
}
