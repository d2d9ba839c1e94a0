import { CapabilityError } from "../../errors.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { NetworkInfo } from "../../runtime/network-types.js";
import { ensureHostAttachment, type HostAttachment, hostAttachmentOf } from "./host-address.js";
import { type HostCommand, runHostCommand } from "./host-command.js";
import { HostFirewall, sweepStaleFirewallChains } from "./host-firewall.js";

/**
 * `require` (the default): a gateway that cannot keep its sandboxes off this host's own addresses
 * refuses to start. `best-effort`: it starts, warns, and says so in each sandbox's gateway log.
 */
export type HostIsolation = "require" | "best-effort";

/** How the sandboxes of a gateway reach the egress proxy, and how well the host is guarded. */
export interface EgressIsolation {
  /** This host's address on the sandbox network (where the proxy listens); undefined when sandboxes cannot reach this host at all. */
  attachment: HostAttachment | undefined;
  /** Why the host is not guarded or the proxy is unreachable; undefined when all is in place. */
  limitation: string | undefined;
  /**
   * Sandboxes can reach this host's own services although it is not guarded: the engine routes
   * between this host and its containers, but local mode cannot take an address on the network or
   * firewall it (Apple `container`'s host-only networks, which have no Linux bridge).
   */
  hostExposed?: boolean;
  /** Opens `ports` on the host address to the sandboxes and closes the rest; records a failure as a limitation. */
  guard(ports: readonly number[]): Promise<void>;
  /** Removes the firewall chain: only when the network goes too, since running sandboxes need it. */
  remove(): Promise<void>;
}

/**
 * Prepares the host side of the sandbox network: this host's address on its bridge and (with
 * {@link EgressIsolation.guard}) the firewall. On an engine whose networks are not on this host
 * (Docker Desktop's VM, a rootless engine, a remote engine) there is nothing to guard and nothing
 * the sandboxes could reach the proxy at: they have no egress at all, which is stated as a limitation.
 */
export async function prepareEgressIsolation(
  runtime: Pick<ContainerRuntime, "kind" | "capabilities">,
  network: NetworkInfo,
  gatewayId: string,
  run: HostCommand = runHostCommand,
): Promise<EgressIsolation> {
  const chain = `OPENSHELL-${gatewayId}`;
  const routed = runtime.capabilities.has("container-address");
  const attachment = routed ? hostAttachmentOf(network) : undefined;
  if (routed && attachment === undefined) return unguardedHostSide(runtime.kind, network);
  if (attachment === undefined) {
    return {
      attachment: undefined,
      limitation:
        `sandboxes have no network egress: the ${runtime.kind} engine's networks are not on this host ` +
        "(a rootless engine, Docker Desktop's VM or a remote engine), so they cannot reach the gateway's egress proxy",
      guard: async () => undefined,
      remove: async () => undefined,
    };
  }
  const isolation: EgressIsolation = {
    attachment,
    limitation: undefined,
    async guard(ports) {
      try {
        await new HostFirewall(
          { chain, bridge: attachment.bridge, hostAddress: attachment.address, openPorts: ports },
          run,
        ).install();
      } catch (error) {
        isolation.limitation = `sandboxes can connect to services on this host directly: the host firewall could not be set (${(error as Error).message}); run the gateway as root with iptables installed`;
      }
    },
    remove: () =>
      new HostFirewall(
        { chain, bridge: attachment.bridge, hostAddress: attachment.address, openPorts: [] },
        run,
      ).remove(),
  };
  try {
    await ensureHostAttachment(attachment, run);
  } catch (error) {
    isolation.attachment = undefined;
    isolation.limitation = `sandboxes have no network egress: this host could not take its address ${attachment.address} on bridge ${attachment.bridge} (${(error as Error).message}); run the gateway as root`;
  }
  // After the attachment, so this gateway's own bridge exists and its chain is never taken for stale.
  // Best effort: what a sweep cannot remove only clutters the tables, and guard() reports a firewall
  // that cannot be set.
  await sweepStaleFirewallChains(run).catch(() => undefined);
  return isolation;
}

/**
 * This host reaches the containers directly, so they reach it back at the network's gateway address,
 * yet there is no bridge here to take an address on or firewall (Apple `container`: vmnet owns the
 * host side of its networks). On an internal network whose gateway address is known the engine has
 * put that address on this host, so the proxy listens there and sandboxes have egress through it;
 * every other service of this host that listens on all addresses is reachable too, and nothing here
 * can stop that, which the limitation says.
 */
function unguardedHostSide(kind: string, network: NetworkInfo): EgressIsolation {
  const prefixLength = Number(network.subnet?.split("/")[1]);
  const attachment =
    network.internal && network.gateway !== undefined && Number.isInteger(prefixLength)
      ? { bridge: undefined, address: network.gateway, prefixLength }
      : undefined;
  const at = network.gateway === undefined ? "" : ` at ${network.gateway}`;
  const egress = attachment === undefined ? ", and have no network egress" : "";
  return {
    attachment,
    limitation:
      `sandboxes can connect to services on this host${at} and to each other${egress}: ` +
      `the ${kind} engine's network ${network.name} has no bridge on this host that local mode can ` +
      (attachment === undefined ? "take an address on or firewall" : "firewall"),
    hostExposed: true,
    guard: async () => undefined,
    remove: async () => undefined,
  };
}

/** Throws when `require` was asked for and the host is not guarded. */
export function assertHostIsolation(isolation: EgressIsolation, mode: HostIsolation, runtime: string): void {
  if (mode !== "require" || isolation.limitation === undefined) return;
  // No egress at all (no attachment) is safe when nothing reaches the host. An unguarded host is not.
  if (isolation.attachment === undefined && !isolation.hostExposed) return;
  throw new CapabilityError(
    `local mode cannot keep sandboxes off this host: ${isolation.limitation}. ` +
      'Pass hostIsolation: "best-effort" to OpenShell.local() to run without that guarantee.',
    { runtime, missing: ["host-firewall"] },
  );
}
