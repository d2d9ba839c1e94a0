import { networkInterfaces } from "node:os";
import type { NetworkInfo } from "../../runtime/network-types.js";
import { type HostCommand, HostCommandError, runHostCommand } from "./host-command.js";

/**
 * The host's address on a sandbox network, and the bridge it sits on: none where the engine keeps
 * the network's host side to itself (Apple `container`'s host-only networks, run by vmnet on macOS).
 */
export interface HostAttachment {
  bridge: string | undefined;
  /** IPv4 address of this host on the network: where sandboxes reach the egress proxy. */
  address: string;
  /** Prefix length of the network's subnet. */
  prefixLength: number;
}

/** A host attachment on a Linux bridge this host can configure and firewall. */
export type BridgeAttachment = HostAttachment & { bridge: string };

/**
 * Where this host sits on `network`: the engine's gateway address, or, when the engine assigned none
 * (Podman's CNI backend gives an internal network no gateway), the subnet's first host address,
 * which host-local IPAM leaves free for exactly that.
 */
export function hostAttachmentOf(network: NetworkInfo): BridgeAttachment | undefined {
  if (network.bridge === undefined || network.subnet === undefined) return undefined;
  const [base, prefix] = network.subnet.split("/");
  const prefixLength = Number(prefix);
  if (base === undefined || !Number.isInteger(prefixLength) || prefixLength > 30) return undefined;
  const address = network.gateway ?? firstHost(base);
  return { bridge: network.bridge, address, prefixLength };
}

function firstHost(base: string): string {
  const octets = base.split(".").map(Number);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join(".");
}

/** Whether one of this host's interfaces has `address`. */
export function hostHasAddress(address: string): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((entry) => entry.address === address));
}

/**
 * Makes sure this host holds its address on the sandbox bridge. Docker puts the gateway address on
 * the bridge itself. Podman's CNI backend makes an internal network's bridge only when the first
 * container joins, and without an address: the bridge is made here beforehand, with the address, and
 * the engine adopts it (and removes it with the network). Needs root (CAP_NET_ADMIN).
 */
export async function ensureHostAttachment(
  attachment: BridgeAttachment,
  run: HostCommand = runHostCommand,
): Promise<void> {
  const { bridge, address, prefixLength } = attachment;
  // os.networkInterfaces() leaves out an interface that is down, as Docker's bridge is until a
  // container joins: ask `ip` when it does not list the address.
  if (hostHasAddress(address) || (await bridgeHasAddress(bridge, address, run))) return;
  try {
    await run("ip", ["link", "add", "name", bridge, "type", "bridge"]);
  } catch (error) {
    // The engine made it already (a container joined meanwhile): give it the address all the same.
    if (!(error instanceof HostCommandError) || error.missing || !/exists/i.test(error.stderr)) throw error;
  }
  try {
    await run("ip", ["address", "add", `${address}/${prefixLength}`, "dev", bridge]);
  } catch (error) {
    if (
      !(error instanceof HostCommandError) ||
      error.missing ||
      !/exists|already assigned/i.test(error.stderr)
    )
      throw error;
  }
  await run("ip", ["link", "set", bridge, "up"]);
}

async function bridgeHasAddress(bridge: string, address: string, run: HostCommand): Promise<boolean> {
  try {
    const shown = await run("ip", ["-4", "-o", "address", "show", "dev", bridge]);
    return shown.split(/\s+/).some((word) => word.split("/")[0] === address);
  } catch {
    return false;
  }
}
