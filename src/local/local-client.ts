import type { GatewayTarget } from "../connect/gateway-target.js";
import type { GatewayTransport } from "../connect/transport.js";
import { type SandboxArchives, sandboxArchives } from "./files/sandbox-archive.js";
import { LocalGateway, type LocalGatewayOptions } from "./local-gateway.js";

/** Options of `OpenShell.local()`: the embedded gateway's, plus the workspace calls default to. */
export interface LocalOptions extends LocalGatewayOptions {
  /** Default workspace of workspace-scoped calls. Default `default`. */
  workspace?: string;
}

/**
 * Starts the embedded gateway and describes it as a gateway target reached through an in-memory
 * transport: no sockets, no TLS, nothing to retry, so the transport's connection state is constant.
 */
export async function startLocalClient(options: LocalOptions): Promise<{
  gateway: LocalGateway;
  target: GatewayTarget;
  connection: GatewayTransport;
  /** The sandboxes' archive access for `sb.files`, where the runtime has `archive-copy`. */
  archives: SandboxArchives | undefined;
}> {
  const gateway = await LocalGateway.start(options);
  const target: GatewayTarget = {
    name: undefined,
    endpoint: `local+${gateway.runtime.kind}://${gateway.stateDir}`,
    tls: undefined,
    auth: { kind: "none" },
    workspace: options.workspace ?? "default",
    allowInsecureToken: false,
    consulted: [],
  };
  const connection: GatewayTransport = {
    transport: gateway.transport(),
    connect: async () => "open",
    isConnected: () => true,
    connectionError: () => undefined,
    close: () => undefined,
  };
  return { gateway, target, connection, archives: sandboxArchives(gateway.runtime) };
}
