import { randomBytes, timingSafeEqual } from "node:crypto";
import { InvalidArgumentError } from "openshell";

/** The shortest bearer token an adapter service accepts: 32 characters. */
export const MIN_TOKEN_LENGTH = 32;

// Visible ASCII without spaces: what an HTTP Authorization header carries without quoting.
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * A new random bearer token for {@link serveAdapter}: 32 random bytes as 43 base64url characters.
 * Hand it to the caller out of band (an environment variable, a file readable only by it).
 */
export function generateServiceToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Checks a token option: a string of at least 32 visible ASCII characters. Never echoes it. */
export function validateServiceToken(token: unknown, field = "token"): string {
  if (typeof token !== "string") {
    throw new InvalidArgumentError(
      `invalid ${field}: a bearer token string is required; make one with generateServiceToken()`,
      { field },
    );
  }
  if (token.length < MIN_TOKEN_LENGTH || !TOKEN_CHARACTERS.test(token)) {
    throw new InvalidArgumentError(
      `invalid ${field}: must be at least ${MIN_TOKEN_LENGTH} visible ASCII characters without spaces; make one with generateServiceToken()`,
      { field },
    );
  }
  return token;
}

/** What an Authorization header amounts to. */
export type BearerCheck = "ok" | "missing" | "invalid";

/**
 * Compares the request's `Authorization: Bearer <token>` with `expected` in constant time: the
 * comparison's duration does not depend on how much of the token matched. A presented token of
 * another length is compared with the expected one itself, so its length is not revealed either.
 */
export function checkBearer(header: string | undefined, expected: Buffer): BearerCheck {
  if (header === undefined || header === "") return "missing";
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  if (match === null) return "missing";
  const presented = Buffer.from(match[1] ?? "", "utf8");
  const sameLength = presented.length === expected.length;
  const equal = timingSafeEqual(sameLength ? presented : expected, expected);
  return sameLength && equal ? "ok" : "invalid";
}
