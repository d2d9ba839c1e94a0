import { describe, expect, it } from "vitest";
import { LineSplitter } from "../../../../src/runtime/streams/line-splitter.js";

function splitAll(pieces: readonly (string | Buffer)[]): { lines: string[]; last: string | undefined } {
  const splitter = new LineSplitter();
  const lines = pieces.flatMap((piece) =>
    splitter.push(typeof piece === "string" ? Buffer.from(piece) : piece),
  );
  return { lines, last: splitter.flush() };
}

describe("LineSplitter", () => {
  it("returns each complete line of a chunk, without its newline", () => {
    expect(splitAll(["one\ntwo\nthree\n"])).toEqual({ lines: ["one", "two", "three"], last: undefined });
  });

  it("keeps empty lines", () => {
    expect(splitAll(["a\n\nb\n\n"]).lines).toEqual(["a", "", "b", ""]);
  });

  it("joins a line split across chunks, however many", () => {
    expect(splitAll(["he", "ll", "o\nwor", "", "ld\n"])).toEqual({
      lines: ["hello", "world"],
      last: undefined,
    });
  });

  it("holds back a partial line until its newline arrives", () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from("first\nsec"))).toEqual(["first"]);
    expect(splitter.push(Buffer.from("ond"))).toEqual([]);
    expect(splitter.push(Buffer.from("\n"))).toEqual(["second"]);
    expect(splitter.flush()).toBeUndefined();
  });

  it("decodes multi-byte UTF-8 characters split at every byte", () => {
    const text = "naïve € 😀 日本\nzweite Zeile ß\n";
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { lines, last } = splitAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(lines, `cut at ${cut}`).toEqual(["naïve € 😀 日本", "zweite Zeile ß"]);
      expect(last).toBeUndefined();
    }
    const oneByOne = splitAll([...bytes].map((b) => Buffer.from([b])));
    expect(oneByOne.lines).toEqual(["naïve € 😀 日本", "zweite Zeile ß"]);
  });

  it("drops the \\r of CRLF endings, also when \\r and \\n arrive in different chunks", () => {
    expect(splitAll(["a\r\nb\r\n"]).lines).toEqual(["a", "b"]);
    expect(splitAll(["a\r", "\nb\r", "\n"]).lines).toEqual(["a", "b"]);
  });

  it("keeps a \\r that is not at the end of a line", () => {
    expect(splitAll(["progress 10%\rprogress 20%\n"]).lines).toEqual(["progress 10%\rprogress 20%"]);
  });

  it("flushes an unterminated last line once, CR dropped", () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from("done\nlast wor"))).toEqual(["done"]);
    splitter.push(Buffer.from("ds €\r"));
    expect(splitter.flush()).toBe("last words €");
    expect(splitter.flush()).toBeUndefined();
  });

  it("flushes a last line whose multi-byte character was split", () => {
    const bytes = Buffer.from("ende 😀");
    expect(splitAll([bytes.subarray(0, bytes.length - 2), bytes.subarray(bytes.length - 2)])).toEqual({
      lines: [],
      last: "ende 😀",
    });
  });

  it("flushes nothing when the stream ended on a newline or was empty", () => {
    expect(splitAll(["x\n"]).last).toBeUndefined();
    expect(splitAll([]).last).toBeUndefined();
    expect(splitAll([""]).last).toBeUndefined();
  });

  it("is reusable after a flush", () => {
    const splitter = new LineSplitter();
    splitter.push(Buffer.from("stale"));
    expect(splitter.flush()).toBe("stale");
    expect(splitter.push(Buffer.from("fresh\n"))).toEqual(["fresh"]);
  });
});
