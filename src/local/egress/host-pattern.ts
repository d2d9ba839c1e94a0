import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { EgressPolicyError } from "./egress-policy-error.js";

/** An endpoint's `host`, compiled. */
export interface HostPattern {
  /** As written in the policy, for reasons and listings. */
  readonly text: string;
  /**
   * Whether the pattern can name hosts nobody listed one by one (a glob, or no host at all): such
   * endpoints reach private addresses only through `allowed_ips`, as upstream's do.
   */
  readonly broad: boolean;
  /** Whether the pattern is an IP address (then the only address it reaches is itself). */
  readonly ip: boolean;
  /** `host` must be {@link normalizeHost}d. */
  matches(host: string): boolean;
}

/**
 * The form hosts are compared in: lower case, no trailing dot, no IPv6 brackets, IPv6 compressed.
 * Request hosts go through this once per decision; patterns once at compile.
 */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".")) h = h.slice(0, -1);
  // Two spellings of one IPv6 address must compare equal; URL prints the canonical one.
  if (h.includes(":") && isIP(h) === 6) h = new URL(`http://[${h}]`).hostname.slice(1, -1);
  return h;
}

const label = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;

/** A host name in ASCII (IDN labels as punycode), or undefined when it is not one. */
function asciiHostName(name: string): string | undefined {
  const ascii = domainToASCII(name);
  if (ascii === "" || ascii.length > 253) return undefined;
  const labels = ascii.split(".");
  return labels.every((l) => l.length <= 63 && label.test(l)) ? ascii : undefined;
}

/** Hosts whose every address is the gateway host's own loopback, seen from the proxy. */
const loopbackNames = new Set(["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"]);

export function isLoopbackName(host: string): boolean {
  return loopbackNames.has(host) || host.endsWith(".localhost");
}

/**
 * Compiles an endpoint `host`: an exact name (case-insensitive, trailing dot ignored), an IP address
 * (matches only itself), `*.example.com` (exactly one label in front) or `**.example.com` (one or
 * more labels in front), or "" (any host: the endpoint is then matched by `allowed_ips` alone).
 * Other globs are refused: upstream's `*-api.example.com` and `api.*.example.com` forms included,
 * so that a policy never means less here than it says.
 */
export function compileHostPattern(text: string, field: string): HostPattern {
  const host = normalizeHost(text.trim());
  if (host === "") return { text, broad: true, ip: false, matches: () => true };
  if (isIP(host) !== 0) return { text, broad: false, ip: true, matches: (h) => h === host };

  const [first, ...rest] = host.split(".");
  const glob = first === "*" || first === "**" ? first : undefined;
  const name = glob ? rest.join(".") : host;
  if (name.includes("*")) {
    throw new EgressPolicyError(
      field,
      `host glob ${JSON.stringify(text)} is not supported: use a whole first label, "*." for exactly one ` +
        `label in front (*.example.com) or "**." for one or more (**.example.com)`,
    );
  }
  const ascii = asciiHostName(name);
  if (ascii === undefined) {
    throw new EgressPolicyError(field, `host ${JSON.stringify(text)} is not a valid host name or IP address`);
  }
  if (glob === undefined) return { text, broad: false, ip: false, matches: (h) => h === ascii };
  if (!ascii.includes(".")) {
    throw new EgressPolicyError(
      field,
      `host ${JSON.stringify(text)} is too broad: a glob needs at least two labels after it (*.example.com)`,
    );
  }
  const suffix = `.${ascii}`;
  const matches =
    glob === "*"
      ? (h: string) =>
          h.endsWith(suffix) && h.length > suffix.length && !h.slice(0, -suffix.length).includes(".")
      : (h: string) => h.endsWith(suffix) && h.length > suffix.length && !h.startsWith(".");
  // An IP literal never matches a name glob, whatever its digits look like.
  return { text, broad: true, ip: false, matches: (h) => isIP(h) === 0 && matches(h) };
}
