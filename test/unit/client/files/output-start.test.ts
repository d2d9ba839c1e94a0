import { describe, expect, it } from "vitest";
import { afterHeaderLine, afterMarker, BEGIN } from "../../../../src/client/files/output-start.js";
import { ProtocolError } from "../../../../src/errors.js";

async function* from(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === "string" ? Buffer.from(p, "latin1") : p;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

describe("afterMarker", () => {
  it("drops what a login shell printed before the marker, even with the marker split across chunks", async () => {
    const bytes = Buffer.from([0, 10, 255, 13, 10, 0x6f]);
    const out = await collect(
      afterMarker(from("Welcome!\nopenshell-fi", "les:begin", "\n", bytes, bytes), BEGIN),
    );
    expect(out).toEqual(Buffer.concat([bytes, bytes]));
  });

  it("passes bytes that arrive in the marker's own chunk, and an empty file as nothing", async () => {
    expect(await collect(afterMarker(from(`${BEGIN}abc`), BEGIN))).toEqual(Buffer.from("abc"));
    expect(await collect(afterMarker(from(BEGIN), BEGIN))).toEqual(Buffer.alloc(0));
  });

  it("is a ProtocolError when the marker never comes, or only after 64 KiB of something else", async () => {
    await expect(collect(afterMarker(from("no marker"), BEGIN))).rejects.toBeInstanceOf(ProtocolError);
    await expect(collect(afterMarker(from("x".repeat(70 * 1024), BEGIN), BEGIN))).rejects.toThrow(/64 KiB/);
  });
});

describe("afterHeaderLine", () => {
  it("hands over the first line, split across chunks, and passes the bytes after it untouched", async () => {
    const lines: string[] = [];
    const out = await collect(afterHeaderLine(from("si", "ze:12\n\u0000\u00ff", "z"), (l) => lines.push(l)));
    expect(lines).toEqual(["size:12"]);
    expect(out).toEqual(Buffer.from([0, 255, 0x7a]));
  });

  it("is a ProtocolError without a line in the first 64 bytes", async () => {
    await expect(collect(afterHeaderLine(from("x".repeat(100)), () => {}))).rejects.toBeInstanceOf(
      ProtocolError,
    );
    await expect(collect(afterHeaderLine(from("size:1"), () => {}))).rejects.toBeInstanceOf(ProtocolError);
  });
});
