/**
 * What discovery produces and the transport consumes: one fully resolved gateway to talk to.
 * Discovery (files, env, options) and transport (HTTP/2, TLS, auth headers) meet only here.
 */

/** TLS settings for an `https://` endpoint. PEM contents, already read from disk. */
export interface TlsMaterial {
  /** CA bundle that signs the gateway's certificate; system roots when absent. */
  ca?: Buffer | undefined;
  /** Client certificate for mTLS (PEM). Set together with `key`. */
  cert?: Buffer | undefined;
  /** Client private key for mTLS (PEM). Set together with `cert`. */
  key?: Buffer | undefined;
  /** SNI and certificate host name override; the URL host when absent. */
  serverName?: string | undefined;
  /** Skip verification of the gateway's certificate (`OPENSHELL_GATEWAY_INSECURE`). */
  insecureSkipVerify: boolean;
}

/** Where a bearer token comes from: a fixed string, or a source that refreshes it. */
export interface TokenSource {
  /** Returns a currently valid token, refreshing it first when it is about to expire. */
  token(signal?: AbortSignal): Promise<string>;
}

/** How requests authenticate, besides mTLS (which lives in {@link TlsMaterial}). */
export type GatewayAuth =
  | { kind: "none" }
  /** OIDC: `authorization: Bearer <token>`. */
  | { kind: "bearer"; source: TokenSource }
  /** Edge (Cloudflare Access style) token: `cf-access-jwt-assertion` header and `CF_Authorization` cookie. */
  | { kind: "edge"; token: string };

/** One resolved gateway. */
export interface GatewayTarget {
  /** The gateway's registered name, when it came from a config root. */
  name: string | undefined;
  /** Base URL, scheme included, no trailing slash: `https://127.0.0.1:17670`. */
  endpoint: string;
  /** TLS settings; undefined for `http://` endpoints. */
  tls: TlsMaterial | undefined;
  auth: GatewayAuth;
  /** Workspace for workspace-scoped calls (`OPENSHELL_WORKSPACE`, default `"default"`). */
  workspace: string;
  /** The caller allowed tokens over plaintext to a non-loopback host. */
  allowInsecureToken: boolean;
  /** Human-readable list of what discovery looked at, for error messages. */
  consulted: string[];
}
