import { describe, expect, it } from "vitest";
import { jsonLines } from "../../../../src/runtime/streams/json-lines.js";

async function* source(pieces: readonly (string | Buffer)[]): AsyncGenerator<string | Buffer> {
  for (const piece of pieces) yield piece;
}

async function parseAll(
  pieces: readonly (string | Buffer)[],
): Promise<{ docs: Record<string, unknown>[]; garbage: string[] }> {
  const garbage: string[] = [];
  const docs: Record<string, unknown>[] = [];
  for await (const doc of jsonLines(source(pieces), (line) => garbage.push(line))) docs.push(doc);
  return { docs, garbage };
}

describe("jsonLines", () => {
  it("yields one object per line", async () => {
    const { docs, garbage } = await parseAll(['{"status":"a"}\n{"status":"b","id":"x"}\n']);
    expect(docs).toEqual([{ status: "a" }, { status: "b", id: "x" }]);
    expect(garbage).toEqual([]);
  });

  it("accepts string chunks as well as Buffers", async () => {
    const { docs } = await parseAll(['{"a":1}\n', Buffer.from('{"b":2}\n')]);
    expect(docs).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("reassembles a document split across chunks, at every byte", async () => {
    const bytes = Buffer.from('{"stream":"Step 1/2 : FROM alpine — ok ✓\\n"}\n{"aux":{"ID":"sha256:1"}}\n');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { docs, garbage } = await parseAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(docs, `cut at ${cut}`).toEqual([
        { stream: "Step 1/2 : FROM alpine — ok ✓\n" },
        { aux: { ID: "sha256:1" } },
      ]);
      expect(garbage).toEqual([]);
    }
  });

  it("hands lines that are not a JSON object to onGarbage, trimmed, and keeps going", async () => {
    const { docs, garbage } = await parseAll([
      '{"n":1}\n',
      "  plain text from the engine  \n",
      '{"n":2}\n{"broken":\n[1,2]\nnull\n42\n"str"\n',
      '{"n":3}\n',
    ]);
    expect(docs).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(garbage).toEqual(["plain text from the engine", '{"broken":', "[1,2]", "null", "42", '"str"']);
  });

  it("skips blank and whitespace-only lines without calling onGarbage", async () => {
    const { docs, garbage } = await parseAll(['\n   \n{"a":1}\r\n\r\n\t\n']);
    expect(docs).toEqual([{ a: 1 }]);
    expect(garbage).toEqual([]);
  });

  it("parses a last document that has no trailing newline", async () => {
    const { docs } = await parseAll(['{"a":1}\n{"b"', ":2}"]);
    expect(docs).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("reports an unterminated garbage last line", async () => {
    const { docs, garbage } = await parseAll(['{"a":1}\n{"cut off']);
    expect(docs).toEqual([{ a: 1 }]);
    expect(garbage).toEqual(['{"cut off']);
  });

  it("drops garbage silently when no onGarbage is given", async () => {
    const docs: Record<string, unknown>[] = [];
    for await (const doc of jsonLines(source(["junk\n", '{"ok":true}\n']))) docs.push(doc);
    expect(docs).toEqual([{ ok: true }]);
  });

  it("passes on the source's error", async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n');
      throw new Error("socket closed");
    }
    const docs: Record<string, unknown>[] = [];
    await expect(
      (async () => {
        for await (const doc of jsonLines(failing())) docs.push(doc);
      })(),
    ).rejects.toThrow("socket closed");
    expect(docs).toEqual([{ a: 1 }]);
  });
});
