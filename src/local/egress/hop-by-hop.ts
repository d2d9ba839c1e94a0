/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the proxy's own:
 * never forwarded by the egress proxy nor by the gateway's inference forwarder. Lower case.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * The header names a Connection (or Proxy-Connection) value lists, lower case: hop-by-hop for that
 * message too. Connection options (`close`) and names already hop-by-hop are left out.
 */
export function connectionListedHeaders(value: string): string[] {
  const listed: string[] = [];
  for (const token of value.split(",")) {
    const name = token.trim().toLowerCase();
    if (name !== "" && name !== "close" && !HOP_BY_HOP_HEADERS.has(name)) listed.push(name);
  }
  return listed;
}
