import fc from "fast-check";

/**
 * Generators of /etc/passwd, /etc/group and /etc/os-release contents as bytes, for the probe
 * property (probe-property.test.ts). Each file is lines of bytes joined by LF, with or without a
 * last LF; a line mixes well-formed entries (so the parsers have something to find) with what could
 * trip a line-by-line shell reader or a line-based record format: tabs, colons, CR (alone, doubled,
 * at the end), NUL, bytes that are not UTF-8, leading and trailing blanks, backslashes, lines that
 * read like the probe's own records or its `end` marker, and lines longer than the 16 KiB pieces
 * Docker's log driver cuts a line into (see logged-text.ts).
 */

const utf8 = (text: string) => Buffer.from(text, "utf8");

/** Lines the probe itself prints (and CR variants): a file holding them must not pass for them. */
const recordLookalikes = fc.oneof(
  fc.constantFrom("end", "end\r", "end\tlf"),
  fc.constantFrom(
    "openshell-probe\t1",
    "openshell-probe\t2",
    "openshell-probe\t2\r",
    "passwd\troot:x:0:0:root:/root:/bin/sh",
    "group\tsandbox:x:1000:",
    "os-release\tID=impostor",
    "os-release-file\t/etc/os-release",
    "tool\tbash\t/bin/bash\t0\t/bin/bash",
    "tool\tip\t/usr/sbin/ip\t0\t/usr/sbin/ip",
    "tool\tapt-get\t/usr/bin/apt-get\t0\t/usr/bin/apt-get",
    "tool\tuseradd\t/usr/sbin/useradd\t0\t/usr/sbin/useradd",
    "ip-version\t/bin/ip\tip utility, iproute2-6.1.0",
    "shebang\tadduser\t/usr/sbin/adduser\t#!/usr/bin/perl",
    "passwd\tfake:x:0:0::/:/bin/sh\tlf",
  ),
);

/** Any bytes but LF (which would end the line): NUL, CR, tab and invalid UTF-8 included. */
const rawBytes = fc
  .uint8Array({ maxLength: 24 })
  .map((bytes) => Buffer.from(bytes.filter((byte) => byte !== 0x0a)));

/** Short text that is sometimes ordinary, sometimes full of separators and odd characters. */
const fieldText = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_-]{0,7}$/) },
  { weight: 2, arbitrary: fc.stringMatching(/^[ \t\r:,#="'\\$a-z0-9.-]{0,6}$/) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: "binary", maxLength: 4 }).map((text) => text.replace(/\n/g, "")),
  },
  { weight: 1, arbitrary: rawBytes.map((bytes) => bytes.toString("latin1")) },
);

/** A field encoded as bytes: most text as UTF-8, the `latin1` pieces as the raw bytes they came from. */
const fieldBytes = fc.oneof(
  { weight: 6, arbitrary: fieldText.map(utf8) },
  { weight: 1, arbitrary: rawBytes },
);

const id = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 70_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("", "-1", "1x", " 5", "07", "4294967296") },
);

/** What ends a line before its LF: mostly nothing, sometimes CR or CR CR (a DOS file, a doubly converted one). */
const lineEnd = fc.constantFrom("", "", "", "", "\r", "\r\r", " ", "\t").map(utf8);

const joinFields = (fields: readonly Buffer[], separator: string) =>
  Buffer.concat(fields.flatMap((field, index) => (index === 0 ? [field] : [utf8(separator), field])));

const passwdEntry = fc
  .tuple(fieldBytes, fieldBytes, id, id, fieldBytes, fieldBytes, fieldBytes, lineEnd)
  .map(([name, password, uid, gid, gecos, home, shell, end]) =>
    Buffer.concat([joinFields([name, password, utf8(uid), utf8(gid), gecos, home, shell], ":"), end]),
  );

const groupEntry = fc
  .tuple(fieldBytes, fieldBytes, id, fc.array(fieldBytes, { maxLength: 4 }), lineEnd)
  .map(([name, password, gid, members, end]) =>
    Buffer.concat([joinFields([name, password, utf8(gid), joinFields(members, ",")], ":"), end]),
  );

/**
 * A well-formed entry made longer than Docker's 16 KiB log pieces, of ASCII or of 2- and 3-byte
 * characters (which such a cut may go through). Under 64 KiB: runc refuses to start a container
 * whose /etc/passwd has a longer line ("bufio.Scanner: token too long"), even as uid 0.
 */
const longLine = fc
  .tuple(
    fc.integer({ min: 8_000, max: 20_000 }),
    fc.constantFrom("l", "é", "€"),
    fc.constantFrom("passwd", "group", "os-release"),
  )
  .map(([length, character, kind]) => {
    const filler = character.repeat(length);
    if (kind === "passwd") return utf8(`long:x:4242:4242:${filler}:/home/long:/bin/sh`);
    if (kind === "group") return utf8(`long:x:4242:${filler},last`);
    return utf8(`PRETTY_NAME="${filler}"`);
  });

const osReleaseEntry = fc
  .tuple(
    fc.constantFrom("", " ", "\t", "export "),
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom("ID", "ID_LIKE", "VERSION_ID", "PRETTY_NAME", "NAME") },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_ #-]{0,6}$/) },
    ),
    fc.constantFrom("=", "=", "=", " =", "= ", ""),
    fc.constantFrom("", "", '"', "'"),
    fieldBytes,
    lineEnd,
  )
  .map(([indent, key, equals, quote, value, end]) =>
    Buffer.concat([utf8(`${indent}${key}${equals}${quote}`), value, utf8(quote), end]),
  );

/** A file of the given kind of entry, mixed with everything that is not one. */
function fileOf(entry: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  const line = fc.oneof(
    { weight: 8, arbitrary: entry },
    { weight: 2, arbitrary: recordLookalikes.map(utf8) },
    { weight: 2, arbitrary: rawBytes },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
    { weight: 1, arbitrary: longLine },
  );
  return fc
    .tuple(fc.array(line, { maxLength: 10 }), fc.boolean())
    .map(([lines, lastNewline]) =>
      Buffer.concat([joinFields(lines, "\n"), utf8(lastNewline && lines.length > 0 ? "\n" : "")]),
    );
}

/** The three files one sample mounts over the image's own. */
export const imageFiles = fc.record({
  passwd: fileOf(passwdEntry),
  group: fileOf(groupEntry),
  osRelease: fileOf(osReleaseEntry),
});

export type ImageFiles = typeof imageFiles extends fc.Arbitrary<infer T> ? T : never;

/** The edge cases a property run must have tried for its agreement to mean something. */
export const REQUIRED_TRAITS = [
  "CR before a line's end",
  "a last line without a newline",
  "bytes that are not UTF-8",
  "a line over 16 KiB",
  "a line that reads like a probe record",
] as const;

/** Which of REQUIRED_TRAITS (and which other edge cases) a sample's files hold. */
export function traitsOf(files: ImageFiles): Set<string> {
  const traits = new Set<string>();
  for (const bytes of [files.passwd, files.group, files.osRelease]) {
    const lines = bytes.toString("latin1").split("\n");
    if (lines.some((line, index) => line.endsWith("\r") && (index < lines.length - 1 || line !== ""))) {
      traits.add("CR before a line's end");
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) traits.add("a last line without a newline");
    if (!Buffer.from(bytes.toString("utf8")).equals(bytes)) traits.add("bytes that are not UTF-8");
    if (lines.some((line) => line.length > 16 * 1024)) traits.add("a line over 16 KiB");
    if (
      lines.some((line) =>
        /^(end|openshell-probe|passwd|group|os-release|tool|ip-version|shebang)\b/.test(line),
      )
    ) {
      traits.add("a line that reads like a probe record");
    }
    if (bytes.includes(0)) traits.add("a NUL byte");
  }
  return traits;
}
