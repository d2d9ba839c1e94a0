import { z } from "zod";
import { TimeoutError, UnauthenticatedError, UnavailableError } from "../../errors.js";

const discoverySchema = z.looseObject({ token_endpoint: z.url() });

const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  // Some issuers send the lifetime as a numeric string.
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).nullish(),
  refresh_token: z.string().min(1).nullish(),
});

/** What a successful refresh grant returns. */
export interface RefreshedToken {
  accessToken: string;
  /** Seconds from now; undefined when the issuer does not say. */
  expiresIn: number | undefined;
  /** A rotated refresh token, when the issuer issued a new one. */
  refreshToken: string | undefined;
}

const relogin = "log in again with the openshell CLI";

/** The issuer's token endpoint, from its OpenID discovery document. */
export async function discoverTokenEndpoint(issuer: string, signal: AbortSignal): Promise<string> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const res = await send(url, { method: "GET", headers: { accept: "application/json" }, signal }, issuer);
  if (!res.ok) {
    const message = `OIDC issuer ${issuer} answered HTTP ${res.status} for its discovery document (${url})`;
    if (res.status >= 500) throw new UnavailableError(`${message}; try again later.`);
    throw new UnauthenticatedError(`${message}; check the issuer, or ${relogin}.`);
  }
  const parsed = discoverySchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    throw new UnauthenticatedError(
      `OIDC issuer ${issuer}: discovery document ${url} has no valid token_endpoint.`,
    );
  }
  return parsed.data.token_endpoint;
}

/**
 * Runs the OAuth refresh_token grant. The response body is never quoted in errors (it may echo the
 * tokens); only the standard `error` code is, when it looks like one.
 */
export async function refreshAccessToken(
  tokenEndpoint: string,
  refreshToken: string,
  clientId: string,
  signal: AbortSignal,
): Promise<RefreshedToken> {
  const body = new URLSearchParams({
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: clientId,
  });
  const res = await send(
    tokenEndpoint,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
      signal,
    },
    tokenEndpoint,
  );
  const json: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const code = oauthErrorCode(json);
    const message = `the OIDC token endpoint ${tokenEndpoint} refused to refresh the access token (HTTP ${res.status}${code ? `, ${code}` : ""})`;
    if (res.status >= 500) throw new UnavailableError(`${message}; try again later.`);
    throw new UnauthenticatedError(`${message}: ${relogin}.`);
  }
  const parsed = tokenResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new UnauthenticatedError(
      `the OIDC token endpoint ${tokenEndpoint} answered without a usable access_token: ${relogin}.`,
    );
  }
  return {
    accessToken: parsed.data.access_token,
    expiresIn: parsed.data.expires_in ?? undefined,
    refreshToken: parsed.data.refresh_token ?? undefined,
  };
}

/** The RFC 6749 `error` field, only when it has the shape of a code (so it cannot carry a token). */
function oauthErrorCode(json: unknown): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const code = (json as { error?: unknown }).error;
  return typeof code === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}

async function send(url: string, init: RequestInit, peer: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if ((err as Error).name === "TimeoutError") {
      throw new TimeoutError(`OIDC token refresh: ${peer} did not answer in time.`, { cause: err });
    }
    throw new UnavailableError(`OIDC token refresh: cannot reach ${peer} (${(err as Error).message}).`, {
      cause: err,
    });
  }
}
