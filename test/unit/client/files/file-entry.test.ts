import { describe, expect, it } from "vitest";
import { parseEntries } from "../../../../src/client/files/file-entry.js";
import { remotePath } from "../../../../src/client/files/remote-path.js";
import { InvalidArgumentError, ProtocolError } from "../../../../src/errors.js";

describe("parseEntries", () => {
  it("reads the list script's output as GNU stat printed it (recorded), names with newlines included", () => {
    // `stat -c '%f %s %Y'` then `printf '%s\0' name`, per entry, from coreutils 9.1 on Debian 12.
    const recorded = Buffer.from(
      "81a4 0 1796652165\ne\u000081a4 6 1796652165\nf\u0000a1ff 1 1796652172\nlink\u000041ed 4096 1796606873\nline\nbreak\u0000",
      "utf8",
    );
    expect(parseEntries(recorded, "/data")).toEqual([
      { name: "e", path: "/data/e", type: "file", size: 0, mode: 0o644, mtime: new Date(1796652165000) },
      { name: "f", path: "/data/f", type: "file", size: 6, mode: 0o644, mtime: new Date(1796652165000) },
      {
        name: "link",
        path: "/data/link",
        type: "symlink",
        size: 1,
        mode: 0o777,
        mtime: new Date(1796652172000),
      },
      {
        name: "line\nbreak",
        path: "/data/line\nbreak",
        type: "directory",
        size: 4096,
        mode: 0o755,
        mtime: new Date(1796606873000),
      },
    ]);
  });

  it("calls a cut-short or unexpected output a ProtocolError", () => {
    expect(() => parseEntries(Buffer.from("81a4 0 1\nname"), "/")).toThrow(ProtocolError);
    expect(() => parseEntries(Buffer.from("81a4 zero 1\nname\u0000"), "/")).toThrow(ProtocolError);
  });
});

describe("remotePath", () => {
  it("normalizes absolute paths", () => {
    expect(remotePath("/a//b/./c/../d/", "path")).toBe("/a/b/d");
    expect(remotePath("/", "dir", { allowRoot: true })).toBe("/");
  });

  it.each([
    ["relative/path", /absolute/],
    ["", /non-empty/],
    ["/a\0b", /NUL/],
    ["/..", /must not be "\/"/],
    [`/${"x".repeat(5000)}`, /4096/],
  ])("refuses %j naming the field", (value, message) => {
    let error: unknown;
    try {
      remotePath(value, "remotePath");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe("remotePath");
    expect((error as Error).message).toMatch(message);
  });
});
