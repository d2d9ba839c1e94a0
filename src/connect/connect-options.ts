/**
 * Options for reaching a gateway. Every field is optional: with none, the SDK finds the gateway
 * exactly as the `openshell` CLI does. Explicit options beat environment variables, which beat files.
 */
export interface ConnectOptions {
  /** A registered gateway name (`~/.config/openshell/gateways/<name>/`). Beats `OPENSHELL_GATEWAY`. */
  gateway?: string;
  /** A gateway URL (`https://host:17670`, `http://127.0.0.1:8080`). Beats `OPENSHELL_GATEWAY_ENDPOINT`. */
  endpoint?: string;
  /** Workspace for workspace-scoped calls. Beats `OPENSHELL_WORKSPACE`; default `"default"`. */
  workspace?: string;
  /** TLS material given directly, in place of (or on top of) the gateway's `mtls/` folder. */
  tls?: TlsOptions;
  /** A folder holding `ca.crt`, `tls.crt`, `tls.key`. Beats `OPENSHELL_GATEWAY_MTLS_DIR`. */
  mtlsDir?: string;
  /** An OIDC access token sent as `authorization: Bearer`. Beats the gateway's `oidc_token.json`. */
  token?: string;
  /** An edge access token. Beats the gateway's `edge_token` file. */
  edgeToken?: string;
  /**
   * Send tokens over `http://` to a non-loopback host. Off by default: a token on a plaintext link
   * can be read by anyone on the path.
   */
  allowInsecureToken?: boolean;
  /** Environment to read instead of `process.env` (tests, embedding). */
  env?: Record<string, string | undefined>;
  /** Home folder to use instead of `os.homedir()`. */
  homeDir?: string;
  /** Platform to assume instead of `process.platform` (decides the config root on Windows). */
  platform?: NodeJS.Platform;
}

/** TLS material for an `https://` endpoint. Give PEM contents or file paths, not both for one item. */
export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** SNI / certificate host name override. Beats `OPENSHELL_GATEWAY_TLS_SERVER_NAME`. */
  serverName?: string;
  /** Skip verification of the gateway's certificate. Beats `OPENSHELL_GATEWAY_INSECURE`. */
  insecureSkipVerify?: boolean;
}
