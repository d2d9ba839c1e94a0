import { randomBytes } from "node:crypto";

/**
 * RFC 6455 framing, as much as the egress proxy needs to read a sandbox's websocket frames and
 * write new ones: header parsing (with upstream's strictness), masking, and frame encoding.
 */

export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** Close codes the proxy sends (RFC 6455 §7.4.1). */
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_INVALID_DATA = 1007;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;

/** One frame's header as read off the wire. */
export interface FrameHeader {
  readonly fin: boolean;
  /** The three RSV bits, in place (0x70 mask). */
  readonly rsv: number;
  readonly opcode: number;
  /** Undefined for an unmasked frame (which a client must never send). */
  readonly maskKey: Buffer | undefined;
  readonly payloadLength: number;
  /** The header's bytes exactly as they came, for frames passed on unchanged. */
  readonly raw: Buffer;
}

/** A frame the proxy will not pass on: the close code to answer with and why. */
export class FrameError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "FrameError";
  }
}

export const isControl = (opcode: number) => opcode >= 0x8;

/**
 * Reads the header at the start of `buf`: undefined while it is incomplete; a {@link FrameError}
 * for an extended length that is not minimal (or has the 64-bit form's top bit set), as upstream
 * refuses them. Lengths beyond 2^53 are refused too: no frame that long is ever relayed.
 */
export function parseFrameHeader(buf: Buffer): FrameHeader | undefined {
  if (buf.length < 2) return undefined;
  const first = buf[0] as number;
  const second = buf[1] as number;
  const code = second & 0x7f;
  const extended = code === 126 ? 2 : code === 127 ? 8 : 0;
  const masked = (second & 0x80) !== 0;
  const size = 2 + extended + (masked ? 4 : 0);
  if (buf.length < size) return undefined;
  let payloadLength = code;
  if (code === 126) {
    payloadLength = buf.readUInt16BE(2);
    if (payloadLength < 126)
      throw new FrameError(CLOSE_PROTOCOL_ERROR, "16-bit length form for a short payload");
  } else if (code === 127) {
    const long = buf.readBigUInt64BE(2);
    if (long >> 63n !== 0n) throw new FrameError(CLOSE_PROTOCOL_ERROR, "64-bit length with its top bit set");
    if (long <= 0xffffn) throw new FrameError(CLOSE_PROTOCOL_ERROR, "64-bit length form for a short payload");
    if (long > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameError(CLOSE_MESSAGE_TOO_BIG, "frame too long");
    payloadLength = Number(long);
  }
  return {
    fin: (first & 0x80) !== 0,
    rsv: first & 0x70,
    opcode: first & 0x0f,
    maskKey: masked ? Buffer.from(buf.subarray(2 + extended, size)) : undefined,
    payloadLength,
    raw: Buffer.from(buf.subarray(0, size)),
  };
}

/** XORs `data` in place with `key`, starting at byte `offset` of the frame's payload. */
export function applyMask(data: Buffer, key: Buffer, offset = 0): Buffer {
  for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) ^ (key[(offset + i) & 3] as number);
  return data;
}

/** A fresh masking key: each frame the proxy writes to an upstream gets its own (RFC 6455 §5.3). */
export function newMaskKey(): Buffer {
  return randomBytes(4);
}

/**
 * One unfragmented frame with the shortest length form. With `maskKey` (frames towards the
 * upstream, as a client's must be) the payload is masked with it; without, it goes unmasked (frames
 * towards the sandbox, as a server's are). `rsv` sets RSV bits in place (0x40: compressed).
 */
export function encodeFrame(opcode: number, payload: Buffer, maskKey?: Buffer, rsv = 0): Buffer {
  const n = payload.length;
  const extended = n < 126 ? 0 : n <= 0xffff ? 2 : 8;
  const header = Buffer.alloc(2 + extended + (maskKey === undefined ? 0 : 4));
  header[0] = 0x80 | rsv | opcode;
  header[1] = (maskKey === undefined ? 0 : 0x80) | (extended === 0 ? n : extended === 2 ? 126 : 127);
  if (extended === 2) header.writeUInt16BE(n, 2);
  if (extended === 8) header.writeBigUInt64BE(BigInt(n), 2);
  if (maskKey === undefined) return Buffer.concat([header, payload]);
  maskKey.copy(header, 2 + extended);
  return Buffer.concat([header, applyMask(Buffer.from(payload), maskKey)]);
}

/** A close frame with `code` and a short `reason` (at most 123 bytes are kept, as a control frame allows). */
export function closeFrame(code: number, reason: string, maskKey?: Buffer): Buffer {
  const text = Buffer.from(reason, "utf8").subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return encodeFrame(OPCODE_CLOSE, payload, maskKey);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes UTF-8 strictly; undefined when the bytes are not UTF-8 (answered 1007, as upstream). */
export function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Close codes an endpoint may send (RFC 6455 §7.4), as upstream checks them. */
export function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && (code < 1004 || code > 1006)) || (code >= 3000 && code <= 4999);
}

/** Checks a client's (unmasked) close payload: empty, or a valid code and a UTF-8 reason. */
export function checkClosePayload(payload: Buffer): void {
  if (payload.length === 0) return;
  if (payload.length === 1) throw new FrameError(CLOSE_PROTOCOL_ERROR, "close frame payload of one byte");
  if (!validCloseCode(payload.readUInt16BE(0)))
    throw new FrameError(CLOSE_PROTOCOL_ERROR, "invalid close code");
  if (decodeUtf8(payload.subarray(2)) === undefined)
    throw new FrameError(CLOSE_INVALID_DATA, "close reason is not UTF-8");
}
