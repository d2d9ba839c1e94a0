import type { CredentialEndpoint } from "./provider-profiles.js";

/**
 * A credential binding's endpoint, compiled to match requests as upstream's supervisor does
 * (openshell-core `host_pattern.rs` and `endpoint_path.rs`): these are not the policy's host and
 * path rules (egress/host-pattern.ts refuses globs such as `*-aiplatform.googleapis.com` that
 * built-in profiles use), so they have matchers of their own.
 */
export interface CompiledEndpoint {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** `host` lower case without a trailing dot; `path` without its query. */
  matches(host: string, port: number, path: string): boolean;
}

/** What a binding endpoint cannot be; upstream's message, word for word. */
export const INVALID_BINDING_ENDPOINT = "static credential binding contains an invalid endpoint";

/**
 * A glob in the `glob` crate's default dialect as upstream uses it: `*` any run of characters
 * (`/` included), `?` one character, `[a-z]` / `[!a-z]` a set or its complement. Undefined for a
 * glob that does not parse (an unclosed `[`), which upstream then matches only literally.
 */
function globRegExp(glob: string): RegExp | undefined {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      // A `]` right after `[` (or `[!`) belongs to the set, as in the glob crate.
      let start = i + 1;
      const negated = glob.charAt(start) === "!";
      if (negated) start++;
      const end = glob.indexOf("]", start + 1);
      if (end < 0) return undefined;
      const body = glob.slice(start, end).replace(/[\\\]^[]/g, "\\$&");
      out += negated ? `[^${body}]` : `[${body}]`;
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, "s");
}

type LabelMatcher = "recursive" | ((label: string) => boolean);

/** Host labels: each a glob within the label, `**` one or more whole labels. */
function compileHost(pattern: string): (labels: readonly string[]) => boolean {
  const source = pattern.trim().toLowerCase().replace(/\.$/, "");
  if (source === "" || /\s|[{}]/.test(source) || source.split(".").some((l) => l === "")) {
    throw new Error(INVALID_BINDING_ENDPOINT);
  }
  // Most profile hosts are plain names: one comparison.
  if (!/[*?[]/.test(source)) return (labels) => labels.join(".") === source;
  const matchers: LabelMatcher[] = source.split(".").map((label) => {
    if (label === "**") return "recursive";
    const re = globRegExp(label);
    return re === undefined ? (l: string) => l === label : (l: string) => re.test(l);
  });
  return (labels) => matchLabels(matchers, labels, 0, 0);
}

function matchLabels(
  matchers: readonly LabelMatcher[],
  labels: readonly string[],
  p: number,
  h: number,
): boolean {
  if (p === matchers.length) return h === labels.length;
  if (h === labels.length) return false;
  const matcher = matchers[p] as LabelMatcher;
  if (matcher === "recursive") {
    return matchLabels(matchers, labels, p + 1, h + 1) || matchLabels(matchers, labels, p, h + 1);
  }
  return matcher(labels[h] as string) && matchLabels(matchers, labels, p + 1, h + 1);
}

/** Upstream's EndpointPathPattern: "" / `**` / `/**` any path, `/a/**` that subtree, else a glob. */
function compilePath(pattern: string): (path: string) => boolean {
  if (pattern === "" || pattern === "**" || pattern === "/**") return () => true;
  if (pattern.endsWith("/**")) {
    const prefix = pattern.slice(0, -3);
    return (path) => path === pattern || path === prefix || path.startsWith(`${prefix}/`);
  }
  const re = globRegExp(pattern);
  return re === undefined ? (path) => path === pattern : (path) => path === pattern || re.test(path);
}

/** Compiles one binding endpoint; throws {@link INVALID_BINDING_ENDPOINT} for a bad host or port. */
export function compileEndpoint(endpoint: CredentialEndpoint): CompiledEndpoint {
  const { host, port, path } = endpoint;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(INVALID_BINDING_ENDPOINT);
  const hostMatches = compileHost(host);
  const pathMatches = compilePath(path);
  return {
    host,
    port,
    path,
    matches: (h, p, requestPath) => {
      if (p !== port) return false;
      const labels = h.split(".");
      if (labels.some((l) => l === "")) return false;
      return hostMatches(labels) && pathMatches(requestPath);
    },
  };
}
