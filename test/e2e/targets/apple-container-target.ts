import { OpenShell } from "../../../src/index.js";
import { GATEWAY_LABEL } from "../../../src/local/gateway-identity.js";
import { AppleContainerRuntime } from "../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import { emulatedAppleContainer } from "../../support/apple-container-emulator/index.js";
import type { E2eTarget } from "../e2e-target.js";
import { localTarget } from "./local-target.js";

/**
 * The embedded local gateway over Apple `container`, emulated: the real driver's CLI calls carried
 * out on this machine's Docker by an emulator that answers in the JSON shapes of `version`, on the
 * Darwin release of macOS 26 (host-only networks). Best-effort host isolation, since nothing guards a
 * Mac's own services from its host-only networks. `close()` checks that nothing of the gateway's is
 * left, as the CLI lists it.
 */
export function appleContainerTarget(version: "1.1.0" | "0.12.3"): () => Promise<E2eTarget> {
  const base = localTarget("docker");
  return async () => {
    const emulator = await emulatedAppleContainer({ version });
    const runtime = await AppleContainerRuntime.connect({
      runner: emulator.runner,
      darwinRelease: "25.0.0",
      pollIntervalMs: 250,
    });
    const commands = await base();
    let os: OpenShell | undefined;
    return {
      ...commands,
      name: `local gateway on apple-container ${version} (emulated over Docker)`,
      exitCodes: false,
      async connect() {
        os = await OpenShell.local({ runtime, ephemeral: true, hostIsolation: "best-effort" });
        return os;
      },
      async close() {
        const gatewayId = os?.localGateway?.gatewayId;
        try {
          await os?.close();
          if (gatewayId === undefined) return;
          const labels = { [GATEWAY_LABEL]: gatewayId };
          const left = [
            ...(await runtime.listContainers({ labels })).map((c) => `container ${c.name}`),
            ...(await runtime.listNetworks({ labels })).map((n) => `network ${n.name}`),
          ];
          if (left.length > 0) throw new Error(`the local gateway left behind: ${left.join(", ")}`);
        } finally {
          await runtime.close();
          await emulator.close();
        }
      },
    };
  };
}
