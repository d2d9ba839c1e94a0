import { UnauthenticatedError } from "../../errors.js";
import type { TokenSource } from "../gateway-target.js";
import { discoverTokenEndpoint, refreshAccessToken } from "./oidc-refresh.js";
import { type OidcTokenRecord, readOidcTokenFile, writeOidcTokenFile } from "./oidc-token-file.js";
import { canceledError, waitFor } from "./wait-for.js";

export interface OidcTokenSourceOptions {
  /** Refresh when the token expires within this margin. Default 30 s. */
  refreshMarginMs?: number;
  /** Upper bound for one refresh (discovery plus token request). Default 30 s. */
  refreshTimeoutMs?: number;
}

const relogin = "log in again with the openshell CLI";

/**
 * A bearer token kept in an `oidc_token.json` shared with the openshell CLI. The token is read once
 * and reused until it is about to expire; then the file is read again (the CLI may have refreshed
 * it) and, if still expiring, refreshed with the issuer and written back for the CLI to use.
 */
export function oidcTokenSource(file: string, options: OidcTokenSourceOptions = {}): TokenSource {
  return new OidcTokenSource(file, options.refreshMarginMs ?? 30_000, options.refreshTimeoutMs ?? 30_000);
}

class OidcTokenSource implements TokenSource {
  private current: OidcTokenRecord | undefined;
  /** The one renewal in flight, shared by every caller that needs a fresh token meanwhile. */
  private renewal: Promise<OidcTokenRecord> | undefined;
  private endpoint: { issuer: string; url: Promise<string> } | undefined;

  constructor(
    private readonly file: string,
    private readonly marginMs: number,
    private readonly timeoutMs: number,
  ) {}

  async token(signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) throw canceledError(signal, "OIDC token");
    const current = this.current;
    if (current && !this.expiring(current)) return current.accessToken;
    this.renewal ??= this.renew().finally(() => {
      this.renewal = undefined;
    });
    return (await waitFor(this.renewal, signal, "OIDC token refresh")).accessToken;
  }

  private expiring(record: OidcTokenRecord): boolean {
    return record.expiresAt !== undefined && record.expiresAt * 1000 - Date.now() <= this.marginMs;
  }

  private async renew(): Promise<OidcTokenRecord> {
    const onDisk = await readOidcTokenFile(this.file);
    if (!this.expiring(onDisk)) {
      this.current = onDisk;
      return onDisk;
    }
    // Our own last refresh may be newer than the file if writing it back failed.
    const base =
      this.current && (this.current.expiresAt ?? 0) > (onDisk.expiresAt ?? 0) ? this.current : onDisk;
    const { refreshToken, issuer, clientId } = base;
    if (refreshToken === undefined) {
      throw new UnauthenticatedError(
        `the OIDC access token in ${this.file} has expired and there is no refresh token: ${relogin}.`,
      );
    }
    if (issuer === undefined || clientId === undefined) {
      throw new UnauthenticatedError(
        `the OIDC access token in ${this.file} has expired and the file lacks ${issuer === undefined ? "issuer" : "client_id"} to refresh it: ${relogin}.`,
      );
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    const tokenEndpoint = await this.tokenEndpoint(issuer, signal);
    const fresh = await refreshAccessToken(tokenEndpoint, refreshToken, clientId, signal);
    const next: OidcTokenRecord = {
      ...base,
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken ?? refreshToken,
      expiresAt: fresh.expiresIn === undefined ? undefined : Math.floor(Date.now() / 1000) + fresh.expiresIn,
    };
    this.current = next;
    try {
      await writeOidcTokenFile(this.file, next);
    } catch {
      // A read-only config root (the system root) must not turn a good token into a failed call;
      // the new token stays in memory and the next refresh starts from it.
    }
    return next;
  }

  private tokenEndpoint(issuer: string, signal: AbortSignal): Promise<string> {
    if (this.endpoint?.issuer !== issuer) {
      const url = discoverTokenEndpoint(issuer, signal);
      // Forget a failed lookup so the next refresh asks again instead of repeating the failure.
      url.catch(() => {
        if (this.endpoint?.url === url) this.endpoint = undefined;
      });
      this.endpoint = { issuer, url };
    }
    return this.endpoint.url;
  }
}
