import { GatewayConfigError } from "../../errors.js";

const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Turns a user-written endpoint into the canonical form the transport expects: scheme present
 * (bare `host:port` means https, as in the CLI), no trailing slash. The text is otherwise kept as
 * written so error messages show what the user typed.
 *
 * @param from the option, variable or file the endpoint came from, named in errors.
 */
export function normalizeEndpoint(raw: string, from: string): string {
  const trimmed = raw.trim();
  const withScheme = hasScheme.test(trimmed) ? trimmed : `https://${trimmed}`;
  const endpoint = withScheme.replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new GatewayConfigError(
      `${from}: ${JSON.stringify(raw)} is not a valid URL; expected e.g. https://127.0.0.1:17670.`,
      { source: from },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new GatewayConfigError(
      `${from}: unsupported scheme "${url.protocol.slice(0, -1)}" in ${JSON.stringify(raw)}; use https:// (TLS) or http:// (plaintext).`,
      { source: from },
    );
  }
  if (url.hostname === "") {
    throw new GatewayConfigError(`${from}: ${JSON.stringify(raw)} has no host.`, { source: from });
  }
  return endpoint;
}

/**
 * A comparison key for "is this the same gateway": the URL parser's canonical form (lowercase host,
 * default port dropped) without trailing slashes. Undefined for text that is not an endpoint.
 */
export function endpointKey(raw: string): string | undefined {
  try {
    const url = new URL(normalizeEndpoint(raw, "endpoint"));
    return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
}
