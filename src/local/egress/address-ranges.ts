import { BlockList, isIP } from "node:net";
import { EgressPolicyError } from "./egress-policy-error.js";

/**
 * Address ranges the egress proxy checks a resolved address against. IPv4 ranges are matched with
 * integer masks (every proxied request checks several, and net.BlockList allocates a SocketAddress
 * per check); IPv6 goes through net.BlockList, which also matches IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.1`) against IPv4 ranges.
 */
export class AddressRanges {
  private readonly v4: [network: number, mask: number][] = [];
  private readonly v6 = new BlockList();

  add(network: string, prefix: number): void {
    const v4 = ipv4ToInt(network);
    if (v4 !== undefined) {
      this.v4.push(masked(v4, prefix));
      // Also in the BlockList, which matches IPv4-mapped IPv6 queries against IPv4 ranges.
      this.v6.addSubnet(network, prefix, "ipv4");
      return;
    }
    this.v6.addSubnet(network, prefix, "ipv6");
    // An IPv4-mapped IPv6 range covers those IPv4 addresses in their plain spelling too.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(network)?.[1];
    const mappedV4 = mapped === undefined ? undefined : ipv4ToInt(mapped);
    if (mappedV4 !== undefined && prefix >= 96) this.v4.push(masked(mappedV4, prefix - 96));
  }

  has(ip: string): boolean {
    const n = ipv4ToInt(ip);
    if (n === undefined) return this.v6.check(ip, "ipv6");
    for (const [network, mask] of this.v4) if ((n & mask) >>> 0 === network) return true;
    return false;
  }
}

function masked(address: number, prefix: number): [network: number, mask: number] {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [(address & mask) >>> 0, mask];
}

/** A dotted-quad IPv4 address as an unsigned integer, or undefined when `ip` is not one. */
function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

function ranges(list: readonly string[]): AddressRanges {
  const out = new AddressRanges();
  for (const range of list) {
    const [network = "", prefix = ""] = range.split("/");
    out.add(network, Number(prefix));
  }
  return out;
}

/**
 * Never reached through DNS or an IP literal, whatever the policy says, as upstream never
 * authorizes them: the proxy runs on the gateway host, so these would be the host's own loopback,
 * link-local (cloud metadata at 169.254.169.254) or unspecified addresses, not the internet.
 */
const alwaysBlocked: readonly (readonly [string, AddressRanges])[] = [
  ["unspecified", ranges(["0.0.0.0/8", "::/128"])],
  ["link-local", ranges(["169.254.0.0/16", "fe80::/10"])],
  ["multicast", ranges(["224.0.0.0/4", "ff00::/8"])],
  ["broadcast", ranges(["255.255.255.255/32"])],
];
const loopback = ranges(["127.0.0.0/8", "::1/128"]);

/** Private networks: reached through a glob or hostless endpoint only when its `allowed_ips` say so. */
const privateRanges = ranges(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]);

/** Why the proxy never connects to `ip` ("loopback", "link-local", ...), or undefined when it may. */
export function blockedAddressClass(ip: string): string | undefined {
  if (loopback.has(ip)) return "loopback";
  for (const [name, list] of alwaysBlocked) if (list.has(ip)) return name;
  return undefined;
}

export const isPrivateAddress = (ip: string): boolean => privateRanges.has(ip);

export const isLoopbackAddress = (ip: string): boolean => loopback.has(ip);

/** `allowed_ips`, compiled: addresses or CIDR ranges, IPv4 or IPv6. */
export function compileAllowedIps(entries: readonly string[], field: string): AddressRanges | undefined {
  if (entries.length === 0) return undefined;
  const list = new AddressRanges();
  for (const [i, raw] of entries.entries()) {
    const entry = raw.trim();
    const slash = entry.indexOf("/");
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const kind = isIP(address);
    const max = kind === 6 ? 128 : 32;
    const prefix = slash < 0 ? max : Number(entry.slice(slash + 1));
    if (
      kind === 0 ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > max ||
      entry.slice(slash + 1) === ""
    ) {
      throw new EgressPolicyError(
        `${field}[${i}]`,
        `${JSON.stringify(raw)} is not an IP address or CIDR range (like 10.0.0.0/8 or 2001:db8::/32)`,
      );
    }
    list.add(address, prefix);
  }
  return list;
}
