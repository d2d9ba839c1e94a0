import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { placeholderFor } from "../../../../src/local/credentials/placeholders.js";
import {
  BodyMarkerError,
  bodyMarkerGuard,
  MARKER_TAIL_BYTES,
} from "../../../../src/local/egress/body-marker-guard.js";

/**
 * Upstream's backstop for a body it does not rewrite: what passes the guard, in what pieces, and
 * that no byte of a placeholder does, however the sandbox splits it across writes.
 */

/** Runs `chunks` through a guard; what came out, and the error it stopped with. */
async function through(chunks: string[]): Promise<{ out: string; pieces: number; error?: unknown }> {
  let out = "";
  let pieces = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      pieces++;
      done();
    },
  });
  try {
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), bodyMarkerGuard(), sink);
    return { out, pieces };
  } catch (error) {
    return { out, pieces, error };
  }
}

const P = placeholderFor("SLACK_TOKEN", 3n);

describe("bodyMarkerGuard", () => {
  it("passes a body without a marker whole, holding back only its tail until more arrives", async () => {
    const big = "a".repeat(10_000);
    const result = await through([big, "b".repeat(100), "end"]);
    expect(result.error).toBeUndefined();
    expect(result.out).toBe(`${big}${"b".repeat(100)}end`);
    expect(result.pieces).toBeGreaterThan(1);
    expect(MARKER_TAIL_BYTES).toBe(66);
  });

  it("stops at a placeholder, raw or percent-encoded, split anywhere, before any of it is passed on", async () => {
    const prefix = "x".repeat(5_000);
    for (const marker of [P, encodeURIComponent(P), "sk-OPENSHELL-RESOLVE-ENV-SLACK_TOKEN"]) {
      for (let cut = 1; cut < marker.length; cut += 7) {
        const result = await through([prefix + marker.slice(0, cut), marker.slice(cut), "rest"]);
        expect(result.error).toBeInstanceOf(BodyMarkerError);
        expect(result.out.length).toBeLessThanOrEqual(prefix.length);
        expect(prefix.startsWith(result.out)).toBe(true);
      }
    }
  });

  it("stops at a placeholder sent a byte at a time, and passes the bytes before it", async () => {
    const result = await through([..."y".repeat(200), ...encodeURIComponent(P), ..."z"]);
    expect(result.error).toBeInstanceOf(BodyMarkerError);
    expect("y".repeat(200).startsWith(result.out)).toBe(true);
    expect(result.out.length).toBeGreaterThan(100);
  });

  it("stops at a marker in the last bytes of a body", async () => {
    const result = await through(["{}", `{"t":"${P}"}`]);
    expect(result.error).toBeInstanceOf(BodyMarkerError);
    expect(result.out).toBe("");
  });
});
