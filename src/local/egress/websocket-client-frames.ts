import { deflateMessage, inflateMessage } from "./websocket-deflate.js";
import {
  applyMask,
  CLOSE_INVALID_DATA,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  CLOSE_PROTOCOL_ERROR,
  checkClosePayload,
  decodeUtf8,
  encodeFrame,
  FrameError,
  type FrameHeader,
  isControl,
  newMaskKey,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_TEXT,
  parseFrameHeader,
} from "./websocket-frames.js";

/** How much of a sandbox's websocket traffic the proxy holds or relays; upstream's figures by default. */
export interface FrameLimits {
  /** A text message is assembled whole before its placeholders are resolved: at most this many bytes (1009 beyond). */
  readonly maxMessageBytes: number;
  /** Frames of one fragmented message (1002 beyond). */
  readonly maxFragments: number;
  /** A binary frame is relayed as it comes, but none longer than this (1002 beyond). */
  readonly maxRawFrameBytes: number;
}

/** Upstream's limits (openshell-supervisor-network `l7/websocket.rs`). */
export const UPSTREAM_FRAME_LIMITS: FrameLimits = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxFragments: 4096,
  maxRawFrameBytes: 16 * 1024 * 1024,
};

/** What the credential rewriter made of one whole text message. */
export type TextRewrite =
  | { readonly kind: "text"; readonly text: string; readonly replaced: number }
  /** Not sent: `mismatch` when the credential is bound to other endpoints; `why` never holds a value. */
  | { readonly kind: "refused"; readonly mismatch: boolean; readonly why: string };

/** Why the relay ends: what each side is sent, and a line for the gateway log. */
export interface Termination {
  /** The close code the sandbox gets. */
  readonly code: number;
  /** The close reason the sandbox gets. */
  readonly reason: string;
  /** Protocol errors close the upstream with the same code; a refused credential closes it without a frame. */
  readonly closeUpstream: boolean;
  /** True when a credential placeholder was refused (reported as a credential denial). */
  readonly credential: boolean;
  readonly why: string;
}

export interface ClientFramesOptions {
  /** Called once per whole text message; synchronous, so messages keep their order. */
  rewriteText(text: string): TextRewrite;
  limits?: FrameLimits;
  /**
   * permessage-deflate was negotiated (without client context takeover): a message's first frame
   * may have RSV1 set, and a compressed text message is inflated to be read, then deflated again.
   */
  deflate?: boolean;
  /** A fresh key for each frame the proxy writes; tests pin it. */
  newMaskKey?: () => Buffer;
}

/** Bytes for the upstream, and the end of the relay when a frame ended it. */
export interface FramesOut {
  readonly out: Buffer[];
  readonly end?: Termination;
}

interface TextAssembly {
  chunks: Buffer[];
  bytes: number;
  fragments: number;
  /** The first frame's header: a single-frame message without placeholders goes on as it came. */
  first: FrameHeader;
  /** RSV1 on its first frame: compressed (permessage-deflate). */
  compressed: boolean;
}

const protocolEnd = (why: string, code = CLOSE_PROTOCOL_ERROR): Termination => ({
  code,
  reason: "",
  closeUpstream: true,
  credential: false,
  why,
});

/**
 * Reads the frames a sandbox sends on an upgraded websocket connection and resolves the credential
 * placeholders of its text messages, as upstream's supervisor does under
 * `websocket_credential_rewrite`. A text message is assembled whole (fragments and all, control
 * frames in between passed on at once), unmasked, inflated when compressed, checked as UTF-8 and
 * given to `rewriteText`; one that changed, or came in fragments, goes on as one frame masked with
 * a fresh key (compressed again if it came so); one that did not goes on byte for byte. Binary
 * frames are relayed as they come. Anything RFC 6455 forbids a client, or beyond
 * {@link FrameLimits}, ends the relay with upstream's close code. At most one message (and a frame
 * header) is held at a time.
 */
export class ClientFrames {
  private readonly limits: FrameLimits;
  private readonly maskKey: () => Buffer;
  /** Header bytes not yet complete (never more than 14). */
  private pending: Buffer = Buffer.alloc(0);
  private frame: FrameHeader | undefined;
  private remaining = 0;
  /** The current frame's payload is passed on as it comes (binary) rather than collected. */
  private passthrough = false;
  private collected: Buffer[] = [];
  private text: TextAssembly | undefined;
  /** Frames so far of a fragmented binary message in progress. */
  private binaryFragments = 0;
  private closeSeen = false;

  constructor(private readonly options: ClientFramesOptions) {
    this.limits = options.limits ?? UPSTREAM_FRAME_LIMITS;
    this.maskKey = options.newMaskKey ?? newMaskKey;
  }

  /** Whether a text message is being assembled (the relay times its assembly, as upstream does). */
  get assembling(): boolean {
    return this.text !== undefined;
  }

  /** Takes the next bytes from the sandbox; once `end` is set, nothing more may be pushed. */
  push(chunk: Buffer): FramesOut {
    const out: Buffer[] = [];
    try {
      this.read(chunk, out);
      return { out };
    } catch (error) {
      if (error instanceof FrameError) return { out, end: protocolEnd(error.message, error.code) };
      if (error instanceof Ended) return { out, end: error.termination };
      throw error;
    }
  }

  private read(chunk: Buffer, out: Buffer[]): void {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    for (;;) {
      if (this.frame !== undefined) {
        const take = Math.min(this.remaining, buf.length - pos);
        if (take > 0) {
          const part = buf.subarray(pos, pos + take);
          pos += take;
          this.remaining -= take;
          if (this.passthrough) out.push(part);
          else this.collected.push(Buffer.from(part));
        }
        if (this.remaining > 0) break;
        const frame = this.frame;
        this.frame = undefined;
        this.finishFrame(frame, out);
        continue;
      }
      const header = parseFrameHeader(buf.subarray(pos));
      if (header === undefined) break;
      pos += header.raw.length;
      this.startFrame(header, out);
    }
    this.pending = Buffer.from(buf.subarray(pos));
  }

  private startFrame(header: FrameHeader, out: Buffer[]): void {
    const { opcode, payloadLength: length } = header;
    if (this.closeSeen) throw new FrameError(CLOSE_PROTOCOL_ERROR, "frame after the client's close frame");
    if (header.rsv !== 0 && !this.compressionAllowed(header)) {
      throw new FrameError(CLOSE_PROTOCOL_ERROR, "RSV bits set that no negotiated extension allows");
    }
    if (header.maskKey === undefined) throw new FrameError(CLOSE_PROTOCOL_ERROR, "client frame not masked");
    if (opcode > OPCODE_BINARY && !isControl(opcode))
      throw new FrameError(CLOSE_PROTOCOL_ERROR, "reserved opcode");
    if (isControl(opcode) && opcode > 0xa) throw new FrameError(CLOSE_PROTOCOL_ERROR, "reserved opcode");
    if (isControl(opcode) && !header.fin)
      throw new FrameError(CLOSE_PROTOCOL_ERROR, "fragmented control frame");
    if (isControl(opcode) && length > 125)
      throw new FrameError(CLOSE_PROTOCOL_ERROR, "control frame over 125 bytes");
    const fragmented = this.text !== undefined || this.binaryFragments > 0;
    if ((opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) && fragmented)
      throw new FrameError(CLOSE_PROTOCOL_ERROR, "data frame before the fragmented message ended");
    if (opcode === OPCODE_CONTINUATION && !fragmented)
      throw new FrameError(CLOSE_PROTOCOL_ERROR, "continuation frame without a fragmented message");
    const binary = opcode === OPCODE_BINARY || (opcode === OPCODE_CONTINUATION && this.binaryFragments > 0);
    if (binary && length > this.limits.maxRawFrameBytes)
      throw new FrameError(CLOSE_PROTOCOL_ERROR, `binary frame over ${this.limits.maxRawFrameBytes} bytes`);
    const tooBig = `text message over ${this.limits.maxMessageBytes} bytes`;
    if (opcode === OPCODE_TEXT) {
      if (length > this.limits.maxMessageBytes) throw new FrameError(CLOSE_MESSAGE_TOO_BIG, tooBig);
      this.text = { chunks: [], bytes: 0, fragments: 1, first: header, compressed: header.rsv !== 0 };
    } else if (opcode === OPCODE_CONTINUATION && this.text !== undefined) {
      if (++this.text.fragments > this.limits.maxFragments)
        throw new FrameError(CLOSE_PROTOCOL_ERROR, `message over ${this.limits.maxFragments} fragments`);
      if (this.text.bytes + length > this.limits.maxMessageBytes)
        throw new FrameError(CLOSE_MESSAGE_TOO_BIG, tooBig);
    } else if (binary) {
      if (opcode === OPCODE_CONTINUATION && ++this.binaryFragments > this.limits.maxFragments)
        throw new FrameError(CLOSE_PROTOCOL_ERROR, `message over ${this.limits.maxFragments} fragments`);
      if (opcode === OPCODE_BINARY && !header.fin) this.binaryFragments = 1;
      out.push(header.raw);
    }
    this.frame = header;
    this.remaining = length;
    this.passthrough = binary;
    this.collected = [];
  }

  /** RSV1 alone, on a data frame that starts a message, where permessage-deflate was negotiated. */
  private compressionAllowed(header: FrameHeader): boolean {
    return (
      this.options.deflate === true &&
      header.rsv === 0x40 &&
      (header.opcode === OPCODE_TEXT || header.opcode === OPCODE_BINARY)
    );
  }

  private finishFrame(header: FrameHeader, out: Buffer[]): void {
    if (this.passthrough) {
      if (header.fin) this.binaryFragments = 0;
      return;
    }
    const payload = applyMask(Buffer.concat(this.collected), header.maskKey as Buffer);
    this.collected = [];
    if (isControl(header.opcode)) {
      if (header.opcode === OPCODE_CLOSE) {
        checkClosePayload(payload);
        this.closeSeen = true;
      }
      out.push(header.raw, applyMask(payload, header.maskKey as Buffer));
      return;
    }
    const text = this.text as TextAssembly;
    text.chunks.push(payload);
    text.bytes += payload.length;
    if (header.fin) {
      this.text = undefined;
      out.push(...this.message(text));
    }
  }

  /** A whole text message, rewritten: the frame(s) that go upstream in its place. */
  private message(text: TextAssembly): Buffer[] {
    const wire = Buffer.concat(text.chunks);
    const bytes = text.compressed ? inflateMessage(wire, this.limits.maxMessageBytes) : wire;
    const decoded = decodeUtf8(bytes);
    if (decoded === undefined) throw new FrameError(CLOSE_INVALID_DATA, "text message is not UTF-8");
    const rewrite = this.options.rewriteText(decoded);
    if (rewrite.kind === "refused") {
      throw new Ended({
        code: CLOSE_POLICY_VIOLATION,
        reason: rewrite.mismatch ? "credential endpoint mismatch" : "credential placeholder not resolved",
        closeUpstream: false,
        credential: true,
        why: rewrite.why,
      });
    }
    if (rewrite.replaced === 0 && text.fragments === 1)
      return [text.first.raw, applyMask(wire, text.first.maskKey as Buffer)];
    const payload = Buffer.from(rewrite.text, "utf8");
    if (!text.compressed) return [encodeFrame(OPCODE_TEXT, payload, this.maskKey())];
    return [encodeFrame(OPCODE_TEXT, deflateMessage(payload), this.maskKey(), 0x40)];
  }
}

/** Thrown inside {@link ClientFrames} to end the relay for a reason other than the framing. */
class Ended extends Error {
  constructor(readonly termination: Termination) {
    super(termination.why);
  }
}
