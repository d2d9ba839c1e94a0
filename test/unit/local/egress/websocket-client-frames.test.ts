import { describe, expect, it } from "vitest";
import { placeholderFor } from "../../../../src/local/credentials/placeholders.js";
import {
  ClientFrames,
  type FrameLimits,
  type TextRewrite,
  UPSTREAM_FRAME_LIMITS,
} from "../../../../src/local/egress/websocket-client-frames.js";
import { deflateMessage, inflateMessage } from "../../../../src/local/egress/websocket-deflate.js";
import { applyMask, parseFrameHeader } from "../../../../src/local/egress/websocket-frames.js";

/**
 * The frames a sandbox sends on a websocket whose endpoint has websocket_credential_rewrite, as
 * the upstream server would read them after the proxy. Frames are built by hand as RFC 6455 has
 * them (the §5.7 examples verbatim where it has one).
 */

const SECRET = "sk-REALsecretVALUE";
const P = placeholderFor("API_KEY", 7n);
const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const FRESH = Buffer.from([0x01, 0x02, 0x03, 0x04]);

/** RFC 6455 §5.7: "A single-frame masked text message" ("Hello"). */
const RFC_MASKED_HELLO = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);

/** A client frame: masked with `key`, in the length form `form` (the shortest by default). */
function frame(
  opcode: number,
  payload: string | Buffer,
  {
    fin = true,
    key = KEY,
    rsv = 0,
    form,
  }: { fin?: boolean; key?: Buffer | null; rsv?: number; form?: 7 | 16 | 64 } = {},
): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const n = data.length;
  const use = form ?? (n < 126 ? 7 : n <= 0xffff ? 16 : 64);
  const len = Buffer.alloc(use === 7 ? 0 : use === 16 ? 2 : 8);
  if (use === 16) len.writeUInt16BE(n);
  if (use === 64) len.writeBigUInt64BE(BigInt(n));
  const first = (fin ? 0x80 : 0) | rsv | opcode;
  const second = (key === null ? 0 : 0x80) | (use === 7 ? n : use === 16 ? 126 : 127);
  const body = key === null ? data : applyMask(Buffer.from(data), key);
  return Buffer.concat([Buffer.from([first, second]), len, key ?? Buffer.alloc(0), body]);
}

interface Seen {
  fin: boolean;
  opcode: number;
  masked: boolean;
  key: string;
  text: string;
}

/** What the upstream server reads from `bytes`: each frame, unmasked. */
function serverReads(bytes: Buffer): Seen[] {
  const frames: Seen[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const header = parseFrameHeader(bytes.subarray(pos));
    if (header === undefined) throw new Error(`truncated frame at ${pos}`);
    pos += header.raw.length;
    const payload = Buffer.from(bytes.subarray(pos, pos + header.payloadLength));
    pos += header.payloadLength;
    if (header.maskKey !== undefined) applyMask(payload, header.maskKey);
    frames.push({
      fin: header.fin,
      opcode: header.opcode,
      masked: header.maskKey !== undefined,
      key: header.maskKey?.toString("hex") ?? "",
      text: payload.toString("utf8"),
    });
  }
  return frames;
}

/** A rewriter standing for the sandbox's credentials: API_KEY resolves, OTHER is bound elsewhere. */
function rewriteText(text: string): TextRewrite {
  let replaced = 0;
  let out = text;
  if (out.includes(placeholderFor("OTHER", 7n)))
    return { kind: "refused", mismatch: true, why: "bound elsewhere" };
  if (out.includes("openshell:resolve:env:v7_MISSING"))
    return { kind: "refused", mismatch: false, why: "no such" };
  while (out.includes(P)) {
    out = out.replace(P, SECRET);
    replaced++;
  }
  return { kind: "text", text: out, replaced };
}

function relay(chunks: Buffer[], limits?: FrameLimits, deflate = false) {
  const frames = new ClientFrames({
    rewriteText,
    newMaskKey: () => Buffer.from(FRESH),
    ...(limits ? { limits } : {}),
    deflate,
  });
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const pushed = frames.push(chunk);
    out.push(...pushed.out);
    if (pushed.end) return { bytes: Buffer.concat(out), end: pushed.end, assembling: frames.assembling };
  }
  return { bytes: Buffer.concat(out), end: undefined, assembling: frames.assembling };
}

describe("ClientFrames: text messages under websocket_credential_rewrite", () => {
  it("passes a text message without placeholders on byte for byte (RFC 6455 §5.7's masked Hello)", () => {
    const { bytes, end } = relay([RFC_MASKED_HELLO]);
    expect(end).toBeUndefined();
    expect(bytes.equals(RFC_MASKED_HELLO)).toBe(true);
  });

  it("sends the value in place of the placeholder, masked with a fresh key", () => {
    const { bytes, end } = relay([frame(0x1, `{"auth":"${P}","n":1}`)]);
    expect(end).toBeUndefined();
    expect(serverReads(bytes)).toEqual([
      {
        fin: true,
        opcode: 0x1,
        masked: true,
        key: FRESH.toString("hex"),
        text: `{"auth":"${SECRET}","n":1}`,
      },
    ]);
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false); // masked on the wire
  });

  it("assembles a fragmented message (placeholder split across fragments) around an interleaved ping", () => {
    const half = Math.floor(P.length / 2);
    const chunks = [
      frame(0x1, `token=${P.slice(0, half)}`, { fin: false }),
      frame(0x9, "are you there"),
      frame(0x0, P.slice(half), { fin: false, key: Buffer.from([9, 8, 7, 6]) }),
      frame(0xa, ""),
      frame(0x0, ";end", { fin: true }),
    ];
    const { bytes, end, assembling } = relay(chunks);
    expect(end).toBeUndefined();
    expect(assembling).toBe(false);
    expect(serverReads(bytes)).toEqual([
      { fin: true, opcode: 0x9, masked: true, key: KEY.toString("hex"), text: "are you there" },
      { fin: true, opcode: 0xa, masked: true, key: KEY.toString("hex"), text: "" },
      { fin: true, opcode: 0x1, masked: true, key: FRESH.toString("hex"), text: `token=${SECRET};end` },
    ]);
  });

  it("reads the 16- and 64-bit length forms and writes the shortest form for the result", () => {
    const medium = `${"a".repeat(200)}${P}`;
    const large = `${P}${"b".repeat(70_000)}`;
    const { bytes, end } = relay([frame(0x1, medium), frame(0x1, large)]);
    expect(end).toBeUndefined();
    const seen = serverReads(bytes);
    expect(seen.map((f) => f.text)).toEqual([
      `${"a".repeat(200)}${SECRET}`,
      `${SECRET}${"b".repeat(70_000)}`,
    ]);
    expect(bytes[1]).toBe(0x80 | 126);
    const second = 2 + 2 + 4 + Buffer.byteLength(`${"a".repeat(200)}${SECRET}`);
    expect(bytes[second + 1]).toBe(0x80 | 127);
  });

  it("gives the same result when the bytes come one at a time", () => {
    const whole = Buffer.concat([
      frame(0x1, `a ${P}`, { fin: false }),
      frame(0x9, "p"),
      frame(0x0, ` b ${P} ${"c".repeat(130)}`, { form: 16 }),
      RFC_MASKED_HELLO,
    ]);
    const bytewise = relay([...whole].map((b) => Buffer.from([b])));
    expect(bytewise.end).toBeUndefined();
    expect(bytewise.bytes.equals(relay([whole]).bytes)).toBe(true);
    expect(serverReads(bytewise.bytes).map((f) => f.text)).toEqual([
      "p",
      `a ${SECRET} b ${SECRET} ${"c".repeat(130)}`,
      "Hello",
    ]);
  });

  it("relays binary frames as they come, placeholders and all", () => {
    const binary = frame(0x2, `raw ${P}`, { fin: false });
    const rest = frame(0x0, "tail");
    const { bytes, end } = relay([binary.subarray(0, 5), binary.subarray(5), rest]);
    expect(end).toBeUndefined();
    expect(bytes.equals(Buffer.concat([binary, rest]))).toBe(true);
  });

  it("closes 1008 with upstream's reason on a credential bound elsewhere, sending nothing of the message", () => {
    const before = frame(0x1, "first");
    const { bytes, end } = relay([before, frame(0x1, `x ${placeholderFor("OTHER", 7n)}`)]);
    expect(bytes.equals(before)).toBe(true);
    expect(end).toMatchObject({
      code: 1008,
      reason: "credential endpoint mismatch",
      closeUpstream: false,
      credential: true,
    });
  });

  it("closes 1008 on a placeholder that does not resolve", () => {
    const { bytes, end } = relay([frame(0x1, "openshell:resolve:env:v7_MISSING")]);
    expect(bytes.length).toBe(0);
    expect(end).toMatchObject({ code: 1008, closeUpstream: false, credential: true, why: "no such" });
  });
});

describe("ClientFrames: what RFC 6455 forbids a client ends the relay with upstream's close code", () => {
  const small: FrameLimits = { maxMessageBytes: 16, maxFragments: 3, maxRawFrameBytes: 32 };
  const cases: [string, Buffer[], number, FrameLimits?][] = [
    ["an unmasked frame", [frame(0x1, "hi", { key: null })], 1002],
    ["RSV1 (no extension negotiated)", [frame(0x1, "hi", { rsv: 0x40 })], 1002],
    ["a 16-bit length for a short payload", [frame(0x1, "hi", { form: 16 })], 1002],
    ["a 64-bit length for a short payload", [frame(0x2, "x".repeat(300), { form: 64 })], 1002],
    ["a reserved opcode", [frame(0x3, "hi")], 1002],
    ["a continuation without a message", [frame(0x0, "hi")], 1002],
    ["a new message inside a fragmented one", [frame(0x1, "a", { fin: false }), frame(0x1, "b")], 1002],
    ["a fragmented ping", [frame(0x9, "a", { fin: false })], 1002],
    ["a control frame over 125 bytes", [frame(0x9, "p".repeat(126))], 1002],
    ["a frame after close", [frame(0x8, Buffer.from([0x03, 0xe8])), frame(0x1, "late")], 1002],
    ["a close payload of one byte", [frame(0x8, Buffer.from([0x03]))], 1002],
    ["a close with an invalid code", [frame(0x8, Buffer.from([0x03, 0xed]))], 1002],
    ["a text message that is not UTF-8", [frame(0x1, Buffer.from([0x68, 0xff, 0x69]))], 1007],
    ["a text frame over the message limit", [frame(0x1, "x".repeat(17))], 1009, small],
    [
      "fragments adding up over the limit",
      [frame(0x1, "x".repeat(10), { fin: false }), frame(0x0, "y".repeat(7))],
      1009,
      small,
    ],
    [
      "more fragments than the limit",
      [0, 1, 2, 3].map((i) => frame(i === 0 ? 0x1 : 0x0, "z", { fin: false })),
      1002,
      small,
    ],
    ["a binary frame over the relay limit", [frame(0x2, "b".repeat(33))], 1002, small],
  ];
  for (const [what, chunks, code, limits] of cases) {
    it(`${what}: ${code}`, () => {
      const { end } = relay(chunks, limits);
      expect(end).toMatchObject({ code, closeUpstream: true, credential: false });
    });
  }

  it("passes on what came before the offending frame, and a valid close", () => {
    const ok = [frame(0x1, "fine"), frame(0x8, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]))];
    const { bytes, end } = relay([...ok, frame(0x9, "x")]);
    expect(bytes.equals(Buffer.concat(ok))).toBe(true);
    expect(end?.code).toBe(1002);
  });

  it("holds upstream's limits by default", () => {
    expect(UPSTREAM_FRAME_LIMITS).toEqual({
      maxMessageBytes: 4 * 1024 * 1024,
      maxFragments: 4096,
      maxRawFrameBytes: 16 * 1024 * 1024,
    });
  });
});

describe("ClientFrames: permessage-deflate (negotiated without client context takeover)", () => {
  const compressed = (text: string, fin = true) =>
    frame(0x1, deflateMessage(Buffer.from(text)), { rsv: 0x40, fin });

  it("inflates a compressed message, resolves it, and sends it compressed again (RSV1, fresh key)", () => {
    const { bytes, end } = relay([compressed(`{"auth":"${P}"}`)], undefined, true);
    expect(end).toBeUndefined();
    expect(bytes[0]).toBe(0x80 | 0x40 | 0x1);
    const header = parseFrameHeader(bytes);
    expect(header?.maskKey).toEqual(FRESH);
    const payload = applyMask(Buffer.from(bytes.subarray(header?.raw.length)), FRESH);
    expect(inflateMessage(payload, 1 << 20).toString()).toBe(`{"auth":"${SECRET}"}`);
  });

  it("passes a compressed message without placeholders on byte for byte, and compressed binary frames as they are", () => {
    const text = compressed('{"type":"ping"}');
    const binary = frame(0x2, deflateMessage(Buffer.from(P)), { rsv: 0x40 });
    const { bytes, end } = relay([text, binary], undefined, true);
    expect(end).toBeUndefined();
    expect(bytes.equals(Buffer.concat([text, binary]))).toBe(true);
  });

  it("assembles a compressed message from fragments (RSV1 on the first only)", () => {
    const whole = deflateMessage(Buffer.from(`a ${P} b`));
    const chunks = [
      frame(0x1, whole.subarray(0, 5), { rsv: 0x40, fin: false }),
      frame(0x0, whole.subarray(5)),
    ];
    const { bytes, end } = relay(chunks, undefined, true);
    expect(end).toBeUndefined();
    const header = parseFrameHeader(bytes);
    const payload = applyMask(Buffer.from(bytes.subarray(header?.raw.length)), FRESH);
    expect(inflateMessage(payload, 1 << 20).toString()).toBe(`a ${SECRET} b`);
  });

  it.each([
    ["RSV1 on a continuation", [compressed("a", false), frame(0x0, "b", { rsv: 0x40 })], 1002],
    ["RSV2", [frame(0x1, "a", { rsv: 0x20 })], 1002],
    ["RSV1 on a ping", [frame(0x9, "a", { rsv: 0x40 })], 1002],
    ["data that does not inflate", [frame(0x1, Buffer.from([0xff, 0xff]), { rsv: 0x40 })], 1002],
  ] as const)("%s: %d", (_what, chunks, code) => {
    expect(relay([...chunks], undefined, true).end).toMatchObject({ code });
  });

  it("closes 1009 on a message that inflates beyond the limit", () => {
    const small: FrameLimits = { ...UPSTREAM_FRAME_LIMITS, maxMessageBytes: 64 };
    const { end } = relay([compressed("z".repeat(1000))], small, true);
    expect(end).toMatchObject({ code: 1009, closeUpstream: true });
  });
});
