import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { NetworkInfo } from "../../runtime/network-types.js";

/** The network name and bridge name of a gateway's sandbox network. */
export function sandboxNetworkNames(gatewayId: string): { name: string; bridgeName: string } {
  // Linux interface names hold 15 characters: "os-" and 12 of the id's 16 hex digits.
  return { name: `openshell-local-${gatewayId}`, bridgeName: `os-${gatewayId.slice(0, 12)}` };
}

/**
 * The gateway's sandbox network, made when missing (`created` says whether this call made it): internal, so the engine forwards nothing from it
 * beyond the host, with a bridge named after the gateway so the host firewall can name its traffic.
 *
 * @throws Error when a network of that name exists but is not internal: an older gateway made it
 *   before egress was enforced, and its sandboxes must go before it can be replaced.
 */
export async function ensureSandboxNetwork(
  runtime: ContainerRuntime,
  gatewayId: string,
  labels: Readonly<Record<string, string>>,
): Promise<{ network: NetworkInfo; created: boolean }> {
  const { name, bridgeName } = sandboxNetworkNames(gatewayId);
  let created = false;
  const find = async () => (await runtime.listNetworks({ labels })).find((n) => n.name === name);
  let network = await find();
  if (network === undefined) {
    try {
      // A runtime without host bridges (Apple `container`) refuses a bridge name.
      const bridge = runtime.capabilities.has("network-bridge-name") ? { bridgeName } : {};
      network = await runtime.createNetwork({ name, internal: true, labels, ...bridge });
      created = true;
    } catch (error) {
      // Another process sharing the state directory made it first.
      network = await find();
      if (network === undefined) throw error;
    }
  }
  if (!network.internal) {
    const cli = runtime.kind === "podman" ? "podman" : "docker";
    throw new Error(
      `the local gateway's network ${name} is an open network made by an earlier openshell version; ` +
        `delete this gateway's sandboxes and remove it (\`${cli} network rm ${name}\`), then start again`,
    );
  }
  return { network, created };
}
