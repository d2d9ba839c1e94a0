import { describe, expect, it } from "vitest";
import {
  credentialDigest,
  digestMatches,
} from "../../../../../adapters/agent-registry/model/credential-digest.js";
import { SECRET } from "./fixtures.js";

describe("credential digest", () => {
  it("matches the same credentials whatever the key order, and nothing else", async () => {
    const digest = await credentialDigest({ AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: SECRET });
    expect(await digestMatches(digest, { AWS_SECRET_ACCESS_KEY: SECRET, AWS_ACCESS_KEY_ID: "AKIA1" })).toBe(
      true,
    );
    expect(
      await digestMatches(digest, { AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: `${SECRET}x` }),
    ).toBe(false);
    expect(await digestMatches(digest, { AWS_ACCESS_KEY_ID: "AKIA1" })).toBe(false);
    // A value moved to another key is another set of credentials.
    expect(await digestMatches(digest, { AWS_ACCESS_KEY_ID: SECRET, AWS_SECRET_ACCESS_KEY: "AKIA1" })).toBe(
      false,
    );
  });

  it("is salted, holds no part of the secret, and rejects what it did not make", async () => {
    const a = await credentialDigest({ K: SECRET });
    const b = await credentialDigest({ K: SECRET });
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toContain(SECRET.slice(0, 12));
    for (const bad of [undefined, "", "sha256$x$y", "scrypt1$abc", `scrypt1$${a.split("$")[1]}$short`]) {
      expect(await digestMatches(bad, { K: SECRET })).toBe(false);
    }
  });
});
