import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  deflateMessage,
  inflateMessage,
  negotiatedDeflate,
  safeDeflateOffer,
} from "../../../../src/local/egress/websocket-deflate.js";

/**
 * permessage-deflate where the proxy reads frames: which of a client's offers go on (upstream's
 * safe offer), which upstream answers are accepted, and messages compressed as RFC 7692 has them.
 */

describe("safeDeflateOffer", () => {
  it.each([
    [["permessage-deflate; client_no_context_takeover"], "permessage-deflate; client_no_context_takeover"],
    [
      ["permessage-deflate; Server_No_Context_Takeover; client_no_context_takeover"],
      "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
    ],
    // What browsers and Node's ws offer: window bits, so no offer goes on.
    [["permessage-deflate; client_max_window_bits"], undefined],
    [["permessage-deflate"], undefined],
    [["permessage-deflate; client_no_context_takeover; client_no_context_takeover"], undefined],
    [["permessage-deflate; client_no_context_takeover=1"], undefined],
    [["x-webkit-deflate-frame"], undefined],
    // The first safe one of several offers, in one header or many.
    [
      ["permessage-deflate; client_max_window_bits, permessage-deflate; client_no_context_takeover"],
      "permessage-deflate; client_no_context_takeover",
    ],
    [
      ["foo", "permessage-deflate; client_no_context_takeover"],
      "permessage-deflate; client_no_context_takeover",
    ],
    [[], undefined],
  ])("%j -> %s", (values, expected) => {
    expect(safeDeflateOffer(values)).toBe(expected);
  });
});

describe("negotiatedDeflate", () => {
  const offer = "permessage-deflate; client_no_context_takeover";
  it("accepts no extension, or exactly the offer", () => {
    expect(negotiatedDeflate([], offer)).toEqual({ ok: true, deflate: false });
    expect(negotiatedDeflate([], undefined)).toEqual({ ok: true, deflate: false });
    expect(negotiatedDeflate(["permessage-deflate;client_no_context_takeover"], offer)).toEqual({
      ok: true,
      deflate: true,
    });
  });

  it("refuses an extension not offered, or other than the offer", () => {
    expect(negotiatedDeflate(["permessage-deflate"], undefined)).toMatchObject({ ok: false });
    expect(negotiatedDeflate(["permessage-deflate"], offer)).toMatchObject({ ok: false });
    expect(
      negotiatedDeflate(["permessage-deflate; client_no_context_takeover; server_max_window_bits=10"], offer),
    ).toMatchObject({ ok: false });
    expect(negotiatedDeflate([`${offer}, ${offer}`], offer)).toMatchObject({ ok: false });
  });
});

describe("inflateMessage and deflateMessage", () => {
  it("round-trip a message without the RFC 7692 tail, readable by an ordinary inflater", () => {
    const text = Buffer.from(`{"token":"${"x".repeat(500)}"}`);
    const compressed = deflateMessage(text);
    expect(compressed.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(false);
    expect(inflateMessage(compressed, 1 << 20).equals(text)).toBe(true);
    const tail = Buffer.from([0, 0, 0xff, 0xff]);
    const other = inflateRawSync(Buffer.concat([compressed, tail]), { finishFlush: constants.Z_SYNC_FLUSH });
    expect(other.equals(text)).toBe(true);
  });

  it("refuses a message that inflates beyond the limit (1009) or not at all (1002)", () => {
    const bomb = deflateRawSync(Buffer.alloc(100_000), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(
      0,
      -4,
    );
    expect(() => inflateMessage(bomb, 1000)).toThrow(expect.objectContaining({ code: 1009 }));
    expect(() => inflateMessage(Buffer.from([0xff, 0xff, 0xff]), 1000)).toThrow(
      expect.objectContaining({ code: 1002 }),
    );
  });
});
