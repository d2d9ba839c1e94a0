import { Code, ConnectError } from "@connectrpc/connect";
import { SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { ForwardBackend } from "../handlers/forward-handlers.js";
import type { SandboxManager } from "./sandbox-manager.js";

/**
 * Forwards reach a port "on the sandbox's loopback" at the container's own address on the gateway's
 * network: local mode has no in-sandbox relay, so a server must listen on 0.0.0.0 (or that address)
 * to be reachable, which is what the gateway's Docker driver asks of images too.
 */
export function sandboxForwardBackend(
  sandboxes: SandboxManager,
  runtime: Pick<ContainerRuntime, "kind" | "capabilities">,
  network: string,
  endpoint: () => URL,
): ForwardBackend {
  return {
    sandbox: (sandboxId) => sandboxes.byId(sandboxId),
    address(sandboxId, port) {
      const sandbox = sandboxes.byId(sandboxId);
      if (!runtime.capabilities.has("container-address")) {
        throw new ConnectError(
          `forward needs the sandbox's container address to be reachable from this host, and ${runtime.kind} here ` +
            "does not route to it (a rootless engine, Docker Desktop's VM, or a remote engine); run local mode on a " +
            "rootful engine on this Linux machine to forward ports",
          Code.FailedPrecondition,
        );
      }
      if (sandbox.phase !== SandboxPhase.READY)
        throw new ConnectError("sandbox is not ready", Code.FailedPrecondition);
      const address = sandbox.container?.addresses.find((a) => a.network === network)?.ipv4;
      if (!address) {
        throw new ConnectError(
          `sandbox "${sandbox.name}" has no address on network ${network}; was it disconnected outside OpenShell?`,
          Code.Unavailable,
        );
      }
      return { host: address, port };
    },
    endpoint,
    shutdown: sandboxes.shutdown,
  };
}
