import { isIPv4 } from "node:net";
import { GatewayConfigError } from "../../errors.js";
import type { GatewayAuth } from "../gateway-target.js";

/** 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host === "::1") return true;
  if (isIPv4(host)) return host.startsWith("127.");
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
  return mapped?.[1] !== undefined && Number.parseInt(mapped[1], 16) >> 8 === 127;
}

/**
 * Refuses to send a token over plaintext HTTP to another machine unless the caller opted in: anyone
 * on the path could read it and replay it.
 *
 * @param from where the endpoint came from, named in the error.
 */
export function checkPlaintextToken(
  endpoint: string,
  auth: GatewayAuth,
  allowInsecureToken: boolean,
  from: string,
) {
  if (auth.kind === "none" || allowInsecureToken) return;
  const url = new URL(endpoint);
  if (url.protocol !== "http:" || isLoopbackHost(url.hostname)) return;
  const what = auth.kind === "bearer" ? "an OIDC bearer token" : "an edge access token";
  throw new GatewayConfigError(
    `refusing to send ${what} to ${endpoint} (from ${from}) over plain http://: it would travel in clear text ` +
      "and anyone on the network path could read and reuse it. Use an https:// endpoint, or pass " +
      "`allowInsecureToken: true` if the network is trusted.",
    { source: from },
  );
}
