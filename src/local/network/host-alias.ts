import type { HostAttachment } from "./host-address.js";

/**
 * What `host.openshell.internal` names when the egress proxy connects to it:
 * - `host-gateway`: this host as the engine's containers see it, as on the gateway (SEMANTICS.md
 *   §10): services listening on all of the host's addresses, not those bound only to 127.0.0.1.
 * - `loopback`: this host's 127.0.0.1, for services bound only to loopback (a development server).
 */
export type HostAliasTarget = "host-gateway" | "loopback";

/**
 * The address the proxy resolves `host.openshell.internal` to; undefined when sandboxes have no
 * egress (nothing to resolve for). For `host-gateway` it is this host's address on the sandbox
 * network: what Podman's `host.containers.internal` is for a container on that network, and, like
 * Docker's host-gateway (its default bridge's gateway), one of this host's own non-loopback
 * addresses, so the same services answer. It is taken over Docker's default bridge because it is
 * certain to be up and this host's (the proxy listens on it), where the default bridge may be down,
 * renamed or gone, and a stale address would send the proxy's connection off this host.
 */
export function hostAliasAddress(
  target: HostAliasTarget,
  attachment: HostAttachment | undefined,
): string | undefined {
  if (attachment === undefined) return undefined;
  return target === "loopback" ? "127.0.0.1" : attachment.address;
}
