/**
 * A file as the probe's report carries it: each line goes through the engine's log store as one
 * record line (`<tag>\t<line>\t<lf|eof>`) and comes back as text, then the parser puts the lines
 * back together. This is that path's model, for the probe property to compare against; measured on
 * this machine's engines (Docker 20.10 with the json-file driver, Podman 4.3 with k8s-file):
 *
 * - Podman keeps a line's bytes; the runtime decodes them as UTF-8 (an invalid sequence is one
 *   U+FFFD, as `TextDecoder` does).
 * - Docker stores each line as a JSON string, made valid UTF-8 one byte at a time (Go's rule: every
 *   byte that does not begin a valid sequence is one U+FFFD), and cuts a line longer than 16 KiB
 *   into 16 KiB pieces stored apart, so a character the cut goes through is one U+FFFD per byte.
 *
 * Either way only text is changed, never a byte below 0x80: fields, separators and ids read the same.
 * A shell cannot hold a NUL byte, so the probe's `read` drops them.
 */

export type LogEngine = "docker" | "podman";

/** Docker's json-file driver cuts longer lines into pieces of this many bytes. */
const DOCKER_LOG_PIECE_BYTES = 16 * 1024;

/** The file's text as the parser gets it from the probe's `<tag>` records on `engine`. */
export function fileAsLogged(bytes: Buffer, tag: string, engine: LogEngine): string {
  const lines = splitLines(Buffer.from(bytes.filter((byte) => byte !== 0)));
  let text = "";
  for (const { line, end } of lines) {
    const record = Buffer.concat([Buffer.from(`${tag}\t`), line, Buffer.from(`\t${end}`)]);
    const logged = engine === "docker" ? dockerLogText(record) : record.toString("utf8");
    text += logged.slice(tag.length + 1, logged.length - end.length - 1) + (end === "lf" ? "\n" : "");
  }
  return text;
}

function splitLines(bytes: Buffer): { line: Buffer; end: "lf" | "eof" }[] {
  const lines: { line: Buffer; end: "lf" | "eof" }[] = [];
  let start = 0;
  for (let newline = bytes.indexOf(10); newline !== -1; newline = bytes.indexOf(10, start)) {
    lines.push({ line: bytes.subarray(start, newline), end: "lf" });
    start = newline + 1;
  }
  if (start < bytes.length) lines.push({ line: bytes.subarray(start), end: "eof" });
  return lines;
}

function dockerLogText(line: Buffer): string {
  let text = "";
  for (let start = 0; start < line.length; start += DOCKER_LOG_PIECE_BYTES) {
    text += decodeBytewise(line.subarray(start, start + DOCKER_LOG_PIECE_BYTES));
  }
  return text;
}

/** UTF-8 decoded as Go's `utf8.DecodeRune` does it: an invalid byte is one U+FFFD, and decoding goes on at the next. */
function decodeBytewise(bytes: Buffer): string {
  let text = "";
  let index = 0;
  while (index < bytes.length) {
    const length = validSequenceLength(bytes, index);
    if (length === 0) {
      text += "\uFFFD";
      index += 1;
    } else {
      text += bytes.subarray(index, index + length).toString("utf8");
      index += length;
    }
  }
  return text;
}

/** The length of the valid UTF-8 sequence at `index`, or 0 (Unicode's table 3-7 of well-formed sequences). */
function validSequenceLength(bytes: Buffer, index: number): number {
  const lead = bytes[index] as number;
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  for (let offset = 1; offset < length; offset++) {
    const byte = bytes[index + offset];
    const [min, max] = offset === 1 ? [low, high] : [0x80, 0xbf];
    if (byte === undefined || byte < min || byte > max) return 0;
  }
  return length;
}
