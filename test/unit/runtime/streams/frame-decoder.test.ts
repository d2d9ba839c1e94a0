import { describe, expect, it } from "vitest";
import type { OutputChunk } from "../../../../src/runtime/exec-types.js";
import { FrameDecoder } from "../../../../src/runtime/streams/frame-decoder.js";

/** One frame of the Docker multiplexed stream: type, three zero bytes, big-endian length, payload. */
function frame(type: number, payload: string | Buffer): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Every byte each stream received, in order. */
function collect(chunks: readonly OutputChunk[]): { stdout: string; stderr: string } {
  const pick = (stream: OutputChunk["stream"]) =>
    Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString("utf8");
  return { stdout: pick("stdout"), stderr: pick("stderr") };
}

function decodeAll(pieces: readonly Buffer[]): { chunks: OutputChunk[]; decoder: FrameDecoder } {
  const decoder = new FrameDecoder();
  const chunks = pieces.flatMap((piece) => decoder.push(piece));
  return { chunks, decoder };
}

// Mixed streams, a multi-byte character, a zero-length frame: the sequence the split tests cut up.
const frames = [frame(1, "hello "), frame(2, "oops\n"), frame(1, ""), frame(1, "wörld\n"), frame(2, "é")];
const sequence = Buffer.concat(frames);
const expected = { stdout: "hello wörld\n", stderr: "oops\né" };
const boundaries = new Set<number>();
{
  let at = 0;
  for (const f of frames) {
    boundaries.add(at);
    at += f.length;
  }
  boundaries.add(at);
}

describe("FrameDecoder", () => {
  it("routes type 1 to stdout and type 2 to stderr", () => {
    const { chunks } = decodeAll([Buffer.concat([frame(1, "out"), frame(2, "err"), frame(1, "put")])]);
    expect(chunks.map((c) => [c.stream, c.data.toString()])).toEqual([
      ["stdout", "out"],
      ["stderr", "err"],
      ["stdout", "put"],
    ]);
  });

  it("surfaces type 0 (stdin echo) as stdout and type 3 (system error) as stderr", () => {
    const { chunks } = decodeAll([Buffer.concat([frame(0, "typed"), frame(3, "libpod: failed")])]);
    expect(chunks.map((c) => [c.stream, c.data.toString()])).toEqual([
      ["stdout", "typed"],
      ["stderr", "libpod: failed"],
    ]);
  });

  it("produces nothing for a zero-length frame and still reads the frame after it", () => {
    const { chunks, decoder } = decodeAll([Buffer.concat([frame(2, ""), frame(1, "after"), frame(2, "")])]);
    expect(chunks.map((c) => [c.stream, c.data.toString()])).toEqual([["stdout", "after"]]);
    expect(decoder.midFrame).toBe(false);
  });

  it("reassembles the same bytes per stream wherever one cut falls, header or payload", () => {
    for (let cut = 0; cut <= sequence.length; cut++) {
      const decoder = new FrameDecoder();
      const first = decoder.push(sequence.subarray(0, cut));
      expect(decoder.midFrame, `midFrame after cut at ${cut}`).toBe(!boundaries.has(cut));
      const second = decoder.push(sequence.subarray(cut));
      expect(collect([...first, ...second]), `cut at ${cut}`).toEqual(expected);
      expect(decoder.midFrame).toBe(false);
    }
  });

  it("reassembles the same bytes per stream for every pair of cuts", () => {
    for (let a = 0; a <= sequence.length; a++) {
      for (let b = a; b <= sequence.length; b++) {
        const { chunks, decoder } = decodeAll([
          sequence.subarray(0, a),
          sequence.subarray(a, b),
          sequence.subarray(b),
        ]);
        expect(collect(chunks), `cuts at ${a} and ${b}`).toEqual(expected);
        expect(decoder.midFrame).toBe(false);
      }
    }
  });

  it("reassembles the same bytes when fed one byte at a time", () => {
    const pieces = [...sequence].map((byte) => Buffer.from([byte]));
    const { chunks } = decodeAll(pieces);
    expect(collect(chunks)).toEqual(expected);
    // Never a chunk for an empty frame or a header byte: each chunk carries payload.
    expect(chunks.every((c) => c.data.length === 1)).toBe(true);
  });

  it("streams a large frame's payload out as it arrives, before the frame is complete", () => {
    const payload = Buffer.alloc(1024 * 1024, "x");
    const whole = frame(2, payload);
    const decoder = new FrameDecoder();

    const first = decoder.push(whole.subarray(0, 8 + 1000));
    expect(first).toHaveLength(1);
    expect(first[0]?.stream).toBe("stderr");
    expect(first[0]?.data.length).toBe(1000);
    expect(decoder.midFrame).toBe(true);

    const second = decoder.push(whole.subarray(8 + 1000, 8 + 500_000));
    expect(second.map((c) => c.data.length)).toEqual([499_000]);
    expect(decoder.midFrame).toBe(true);

    const rest = decoder.push(Buffer.concat([whole.subarray(8 + 500_000), frame(1, "next")]));
    expect(rest.map((c) => [c.stream, c.data.length])).toEqual([
      ["stderr", payload.length - 500_000],
      ["stdout", 4],
    ]);
    expect(decoder.midFrame).toBe(false);
    const total = [...first, ...second, ...rest].filter((c) => c.stream === "stderr");
    expect(Buffer.concat(total.map((c) => c.data)).equals(payload)).toBe(true);
  });

  it("reports midFrame while cut inside a header and inside a payload, not at a boundary", () => {
    const decoder = new FrameDecoder();
    expect(decoder.midFrame).toBe(false);
    const bytes = frame(1, "abcdef");
    decoder.push(bytes.subarray(0, 3));
    expect(decoder.midFrame).toBe(true);
    decoder.push(bytes.subarray(3, 8));
    // Header complete, payload not yet started: still mid-frame.
    expect(decoder.midFrame).toBe(true);
    decoder.push(bytes.subarray(8, 10));
    expect(decoder.midFrame).toBe(true);
    decoder.push(bytes.subarray(10));
    expect(decoder.midFrame).toBe(false);
  });

  it("handles a payload length beyond 16 bits (big-endian, all four bytes)", () => {
    const payload = Buffer.alloc(70_000, "y");
    const { chunks, decoder } = decodeAll([frame(1, payload)]);
    expect(collect(chunks).stdout).toBe(payload.toString());
    expect(decoder.midFrame).toBe(false);
  });
});
