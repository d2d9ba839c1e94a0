import { once } from "node:events";
import { describe, expect, it } from "vitest";
import {
  containsSecret,
  redactText,
  SecretMaskingStream,
  secretsOf,
} from "../../../../src/local/inference/secret-redaction.js";

const KEY = "sk-live-abcdef123456";

/** What comes out of the stream for each chunk written, in 'data' events (no coalescing). */
async function through(chunks: string[], secrets: string[]): Promise<string[]> {
  const out: string[] = [];
  const stream = new SecretMaskingStream(secrets);
  stream.on("data", (chunk: Buffer) => out.push(chunk.toString("utf8")));
  for (const chunk of chunks) {
    stream.write(Buffer.from(chunk));
    await new Promise((resolve) => setImmediate(resolve));
  }
  stream.end();
  await once(stream, "end");
  return out;
}

describe("secretsOf", () => {
  it("keeps credential values long enough to look for, longest first, once each", () => {
    expect(secretsOf({ A: "short", B: KEY, C: ` ${KEY} `, D: "sk-longer-key-0987654321" })).toEqual([
      "sk-longer-key-0987654321",
      KEY,
    ]);
  });
});

describe("redactText / containsSecret", () => {
  it("replaces every occurrence", () => {
    expect(redactText(`a ${KEY} b ${KEY}`, [KEY])).toBe("a REDACTED b REDACTED");
    expect(containsSecret(`Bearer ${KEY}`, [KEY])).toBe(true);
    expect(containsSecret("Bearer other", [KEY])).toBe(false);
  });
});

describe("SecretMaskingStream", () => {
  const masked = "*".repeat(KEY.length);

  it("masks a secret inside one chunk, keeping the length", async () => {
    const out = await through([`{"k":"${KEY}"}`], [KEY]);
    expect(out.join("")).toBe(`{"k":"${masked}"}`);
  });

  it("masks a secret split across chunks", async () => {
    const text = `key=${KEY}; again ${KEY}`;
    const pieces = [text.slice(0, 7), text.slice(7, 9), text.slice(9, 30), text.slice(30)];
    expect((await through(pieces, [KEY])).join("")).toBe(`key=${masked}; again ${masked}`);
  });

  it("passes chunks that cannot start a secret on at once", async () => {
    const out = await through(["data: a\n\n", "data: b\n\n"], [KEY]);
    expect(out).toEqual(["data: a\n\n", "data: b\n\n"]);
  });

  it("releases a held tail that turned out not to be a secret", async () => {
    const out = await through(["ends with sk-li", "ght"], [KEY]);
    expect(out).toEqual(["ends with ", "sk-light"]);
    expect((await through(["ends with sk-li"], [KEY])).join("")).toBe("ends with sk-li");
  });
});
