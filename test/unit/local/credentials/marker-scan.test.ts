import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { holdsMarkerBytes } from "../../../../src/local/credentials/marker-scan.js";
import { containsMarker } from "../../../../src/local/credentials/placeholders.js";

/**
 * The byte scanner a streamed body goes through finds exactly the markers the header check
 * (containsMarker: raw, or after percent-decoding the whole text) finds, in any mix of marker
 * pieces, escapes and other bytes.
 */

const pieces = [
  "openshell",
  ":resolve",
  ":env:",
  "o",
  "p",
  "%6F",
  "%6f",
  "%70",
  "%3A",
  "%3a",
  "%",
  "%%",
  "%6",
  "OPENSHELL",
  "-RESOLVE",
  "-ENV-",
  "%4F",
  "%2D",
  "sk-",
  "a",
  " ",
  "\0",
  "é",
];

describe("holdsMarkerBytes", () => {
  it("agrees with containsMarker on any mix of marker pieces and escapes", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const text = parts.join("");
        expect(holdsMarkerBytes(Buffer.from(text, "utf8"))).toBe(containsMarker(text));
      }),
      { numRuns: 5000 },
    );
  });

  it("finds markers raw, fully encoded and partly encoded, and nothing in bytes without one", () => {
    const encodeAll = (s: string) =>
      [...Buffer.from(s)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
    expect(holdsMarkerBytes(Buffer.from("x openshell:resolve:env:v1_K"))).toBe(true);
    expect(holdsMarkerBytes(Buffer.from(encodeAll("openshell:resolve:env:")))).toBe(true);
    expect(holdsMarkerBytes(Buffer.from("openshell%3Aresolve%3aenv%3A"))).toBe(true);
    expect(holdsMarkerBytes(Buffer.from(`ab${encodeAll("OPENSHELL-RESOLVE-ENV-")}KEY`))).toBe(true);
    expect(holdsMarkerBytes(Buffer.from("openshell:resolve:en"))).toBe(false);
    expect(holdsMarkerBytes(Buffer.from("openshell%253Aresolve%253Aenv%253A"))).toBe(false);
    expect(holdsMarkerBytes(Buffer.alloc(1 << 16, 0x25))).toBe(false);
  });
});
