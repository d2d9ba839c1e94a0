/**
 * A `fetch` that sends every request to `base` (the forward's `http://127.0.0.1:<port>`), keeping
 * the request's path and query. Agent cards name the address the agent sees of itself
 * (`http://localhost:8080`, `http://0.0.0.0:9999/a2a`, a cluster DNS name): none of those reach the
 * sandbox from here, and the forward is the only way in. Rewriting at the fetch level, rather than
 * in the card, also covers every URL the SDK derives later (interfaces, REST paths, SSE).
 */
export function forwardFetch(base: string, fetchImpl: typeof fetch = fetch): typeof fetch {
  const origin = new URL(base);
  return (input, init) => {
    if (input instanceof Request) {
      return fetchImpl(new Request(rewriteUrl(input.url, origin), input), init);
    }
    return fetchImpl(rewriteUrl(input, origin), init);
  };
}

/** `url`'s path and query on `origin`: its scheme, credentials, host and port are dropped. */
export function rewriteUrl(url: string | URL, origin: URL): string {
  const target = new URL(url);
  return new URL(`${target.pathname}${target.search}`, origin).toString();
}
