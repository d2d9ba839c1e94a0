import type { ForwardBackend } from "../../../src/local/handlers/forward-handlers.js";
import { requireReady } from "../../../src/local/protocol/ready-sandbox.js";
import type { GatewayState } from "./gateway-state.js";

/**
 * Forwards for the local gateway's ForwardTcp handlers: a sandbox here is a host process, so its
 * loopback is the host's and a forward dials the loopback address the client named.
 */
export function hostForwardBackend(state: GatewayState, endpoint: () => URL): ForwardBackend {
  return {
    sandbox: (sandboxId) => state.sandboxById(sandboxId),
    address(sandboxId, port, host) {
      requireReady(state.sandboxById(sandboxId));
      return { host: host === "localhost" ? "127.0.0.1" : host, port };
    },
    endpoint,
    shutdown: state.shutdown.signal,
  };
}
