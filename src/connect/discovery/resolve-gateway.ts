import type { ConnectOptions } from "../connect-options.js";
import type { GatewayTarget } from "../gateway-target.js";
import { chooseGateway } from "./choose-gateway.js";
import { systemConfigRoot, userConfigRoot } from "./config-roots.js";
import { envValue } from "./env-values.js";
import { resolveAuth } from "./gateway-auth.js";
import { checkPlaintextToken } from "./plaintext-guard.js";
import { resolveTlsMaterial } from "./tls-material.js";

/**
 * Finds the gateway the way the openshell CLI does (SEMANTICS §1): options, then `OPENSHELL_*`
 * variables, then the CLI's config files, and gathers its TLS material and credentials.
 *
 * @throws GatewayConfigError naming the option, variable or file at fault, or listing everything
 *   looked at when no gateway is configured.
 */
export async function resolveGateway(options: ConnectOptions = {}): Promise<GatewayTarget> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const roots = {
    user: userConfigRoot({ env, homeDir: options.homeDir, platform }),
    system: systemConfigRoot(env),
  };
  const consulted = [
    `user config root ${roots.user} (XDG_CONFIG_HOME ${envValue(env, "XDG_CONFIG_HOME") ? "set" : "not set"})`,
    `system config root ${roots.system} (OPENSHELL_SYSTEM_GATEWAY_DIR ${envValue(env, "OPENSHELL_SYSTEM_GATEWAY_DIR") ? "set" : "not set"})`,
  ];

  const { endpoint, endpointFrom, gateway } = await chooseGateway(options, env, roots, consulted);
  const tls = await resolveTlsMaterial({
    endpoint,
    env,
    tls: options.tls,
    mtlsDir: options.mtlsDir,
    gateway,
    consulted,
  });
  const auth = await resolveAuth({ token: options.token, edgeToken: options.edgeToken, gateway, consulted });
  const allowInsecureToken = options.allowInsecureToken === true;
  checkPlaintextToken(endpoint, auth, allowInsecureToken, endpointFrom);

  return {
    name: gateway?.name,
    endpoint,
    tls,
    auth,
    workspace: options.workspace?.trim() || envValue(env, "OPENSHELL_WORKSPACE") || "default",
    allowInsecureToken,
    consulted,
  };
}
