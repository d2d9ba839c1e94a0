import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * The provider config key holding a digest of the credentials the adapter last stored. Credentials
 * are write-only (the gateway answers with their keys only), so this is how a later apply tells
 * whether they changed without rewriting them every time.
 */
export const CREDENTIAL_DIGEST_KEY = "agent-registry.openshell.ai/credential-digest";

// scrypt with a random salt: the digest is readable by whoever can read the provider, so it must
// not let a guessed credential be confirmed cheaply.
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_BYTES = 32;
const PREFIX = "scrypt1";

function derive(credentials: Readonly<Record<string, string>>, salt: Buffer): Promise<Buffer> {
  const material = JSON.stringify(
    Object.entries(credentials).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return new Promise((resolve, reject) => {
    scrypt(material, salt, KEY_BYTES, SCRYPT, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** A salted digest of `credentials` (keys and values), as stored under {@link CREDENTIAL_DIGEST_KEY}. */
export async function credentialDigest(credentials: Readonly<Record<string, string>>): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(credentials, salt);
  return `${PREFIX}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether `digest` (from {@link credentialDigest}) was made from exactly these credentials. */
export async function digestMatches(
  digest: string | undefined,
  credentials: Readonly<Record<string, string>>,
): Promise<boolean> {
  const [prefix, salt, key] = digest?.split("$") ?? [];
  if (prefix !== PREFIX || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, "base64url");
  if (expected.length !== KEY_BYTES) return false;
  const actual = await derive(credentials, Buffer.from(salt, "base64url"));
  return timingSafeEqual(actual, expected);
}
