import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base32Decode, base32Encode } from "../../../../adapters/agent-registry/naming/base32.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("base32", () => {
  it("matches the RFC 4648 test vectors (lowercase, unpadded)", () => {
    const vectors: Array<[string, string]> = [
      ["", ""],
      ["f", "my"],
      ["fo", "mzxq"],
      ["foo", "mzxw6"],
      ["foob", "mzxw6yq"],
      ["fooba", "mzxw6ytb"],
      ["foobar", "mzxw6ytboi"],
    ];
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(bytes(plain))).toBe(encoded);
      expect(base32Decode(encoded)).toEqual(bytes(plain));
    }
  });

  it("round-trips any bytes and refuses text it could not have produced", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        expect(base32Decode(base32Encode(data))).toEqual(data);
      }),
    );
    expect(base32Decode("MZXW6")).toBeUndefined();
    expect(base32Decode("m1")).toBeUndefined();
    // "mz" leaves two non-zero padding bits: not the encoding of any byte string.
    expect(base32Decode("mz")).toBeUndefined();
  });
});
