import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { CLOSE_MESSAGE_TOO_BIG, CLOSE_PROTOCOL_ERROR, FrameError } from "./websocket-frames.js";

/**
 * permessage-deflate (RFC 7692) where the proxy reads a sandbox's websocket frames, as upstream's
 * supervisor allows it: only without context takeover on the client's side, so each message
 * inflates on its own, and with no window-size parameters. Other offers are dropped from the
 * upgrade; an upstream that answers with anything but the offer passed on is refused.
 */

const NAME = "permessage-deflate";
/** RFC 7692 §7.2.2: the tail a sender removes from each compressed message. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

interface Extension {
  name: string;
  params: { name: string; value: string | undefined }[];
}

function extensions(values: readonly string[]): Extension[] {
  const found: Extension[] = [];
  for (const value of values) {
    for (const item of value.split(",")) {
      const [name = "", ...params] = item.split(";").map((part) => part.trim());
      if (name === "") continue;
      found.push({
        name: name.toLowerCase(),
        params: params.map((param) => {
          const eq = param.indexOf("=");
          return eq < 0
            ? { name: param.toLowerCase(), value: undefined }
            : { name: param.slice(0, eq).trim().toLowerCase(), value: param.slice(eq + 1).trim() };
        }),
      });
    }
  }
  return found;
}

/** `permessage-deflate` with its no-context-takeover flags in canonical order; undefined for anything else. */
function canonical(extension: Extension): string | undefined {
  if (extension.name !== NAME) return undefined;
  const seen = new Set<string>();
  for (const param of extension.params) {
    if (param.value !== undefined || seen.has(param.name)) return undefined;
    if (param.name !== "client_no_context_takeover" && param.name !== "server_no_context_takeover")
      return undefined;
    seen.add(param.name);
  }
  let text = NAME;
  if (seen.has("client_no_context_takeover")) text += "; client_no_context_takeover";
  if (seen.has("server_no_context_takeover")) text += "; server_no_context_takeover";
  return text;
}

/**
 * The one extension offer the proxy passes on from the sandbox's Sec-WebSocket-Extensions values:
 * the first permessage-deflate offer with client_no_context_takeover and nothing but the two
 * no-context-takeover flags, canonicalized; undefined (no offer at all) when there is none.
 */
export function safeDeflateOffer(values: readonly string[]): string | undefined {
  for (const extension of extensions(values)) {
    const text = canonical(extension);
    if (text?.includes("client_no_context_takeover")) return text;
  }
  return undefined;
}

/**
 * Checks the upstream's Sec-WebSocket-Extensions answer against `offered`: whether messages are
 * compressed, or why the upgrade is refused (an extension not offered, or not exactly the offer).
 */
export function negotiatedDeflate(
  values: readonly string[],
  offered: string | undefined,
): { ok: true; deflate: boolean } | { ok: false; why: string } {
  const answered = extensions(values);
  if (answered.length === 0) return { ok: true, deflate: false };
  if (offered === undefined)
    return { ok: false, why: "negotiated a websocket extension the proxy did not offer" };
  const text = answered.length === 1 ? canonical(answered[0] as Extension) : undefined;
  if (text !== offered)
    return { ok: false, why: `negotiated websocket extensions other than the offer (${offered})` };
  return { ok: true, deflate: true };
}

/** A compressed message's text, at most `max` bytes of it (1009 beyond; 1002 for data that does not inflate). */
export function inflateMessage(compressed: Buffer, max: number): Buffer {
  try {
    return inflateRawSync(Buffer.concat([compressed, TAIL]), {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: max,
    });
  } catch (error) {
    if (error instanceof RangeError)
      throw new FrameError(CLOSE_MESSAGE_TOO_BIG, `text message over ${max} bytes`);
    throw new FrameError(CLOSE_PROTOCOL_ERROR, "compressed text message does not inflate");
  }
}

/** A message compressed on its own (no context carried over), without the tail RFC 7692 removes. */
export function deflateMessage(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - (out.subarray(-4).equals(TAIL) ? 4 : 0));
}
