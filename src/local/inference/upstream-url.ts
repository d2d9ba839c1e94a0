/** A path segment naming an API version: `v1`, `v2`, `v1beta`. */
const versionSegment = /^v\d+[a-z]*\d*$/;

/**
 * Where a sandbox's request to `inference.local` goes at the provider.
 *
 * The rule: request paths are relative to the provider's API root (`baseUrl`, which may carry a
 * path such as `/v1` or `/v1/openai`). SDKs pointed at `http://inference.local/v1` send
 * `/v1/chat/completions`, so when the request's first segment is an API version the base path
 * already contains, that segment is dropped rather than doubled:
 *
 * - base `…/v1`, request `/v1/chat/completions` -> `…/v1/chat/completions`
 * - base `…/v1`, request `/chat/completions` -> `…/v1/chat/completions`
 * - base `…/v1/openai` (DeepInfra), request `/v1/chat/completions` -> `…/v1/openai/chat/completions`
 * - base `http://host:11434` (no version), request `/v1/chat/completions` -> `…:11434/v1/chat/completions`
 *
 * `requestTarget` is the request line's target, origin-form (`/v1/x?q`) or absolute-form
 * (`http://inference.local/v1/x?q`, as a forward proxy receives it). It is normalised first (`..`,
 * also percent-encoded), so a request cannot climb out of the base path. Its query is kept.
 */
export function upstreamUrl(baseUrl: URL, requestTarget: string): URL {
  const request = new URL(requestTarget, "http://inference.local");
  const baseSegments = baseUrl.pathname.split("/").filter((s) => s !== "");
  const segments = request.pathname.split("/").slice(1);
  const first = segments[0];
  if (first !== undefined && versionSegment.test(first) && baseSegments.includes(first)) segments.shift();
  const url = new URL(baseUrl.href);
  const basePath = baseUrl.pathname.replace(/\/+$/, "");
  url.pathname = segments.length === 0 ? basePath || "/" : `${basePath}/${segments.join("/")}`;
  url.search = request.search;
  url.hash = "";
  return url;
}
