import { GatewayConfigError } from "../../errors.js";
import type { ConnectOptions } from "../connect-options.js";
import { type Env, envValue } from "./env-values.js";
import { checkGatewayName } from "./gateway-name.js";
import { normalizeEndpoint } from "./normalize-endpoint.js";
import {
  type ConfigRoots,
  findGatewayByEndpoint,
  findGatewayByName,
  readActiveGateway,
  type StoredGateway,
} from "./stored-gateways.js";

/** Which gateway to talk to: its URL, where that URL came from, and its registration if any. */
export interface GatewayChoice {
  endpoint: string;
  /** The option, variable or file the endpoint came from (for errors). */
  endpointFrom: string;
  /** The registration whose credentials apply; undefined for an unregistered explicit endpoint. */
  gateway: StoredGateway | undefined;
}

interface Sourced {
  value: string;
  from: string;
}

/**
 * SEMANTICS §1, first match wins: explicit endpoint, explicit name, the user root's active gateway,
 * the system root's active gateway. Records every place looked at in `consulted`.
 */
export async function chooseGateway(
  options: ConnectOptions,
  env: Env,
  roots: ConfigRoots,
  consulted: string[],
): Promise<GatewayChoice> {
  const endpoint = pick(options.endpoint, "option endpoint", env, "OPENSHELL_GATEWAY_ENDPOINT", consulted);
  const name = pick(options.gateway, "option gateway", env, "OPENSHELL_GATEWAY", consulted);
  const gatewayNamed = async (n: Sourced) =>
    findGatewayByName(roots, checkGatewayName(n.value, n.from), n.from, consulted);

  if (endpoint) {
    const url = normalizeEndpoint(endpoint.value, endpoint.from);
    const gateway = name ? await gatewayNamed(name) : await findGatewayByEndpoint(roots, url, consulted);
    return { endpoint: url, endpointFrom: endpoint.from, gateway };
  }
  if (name) return registered(await gatewayNamed(name));

  for (const root of [roots.user, roots.system]) {
    const active = await readActiveGateway(root, consulted);
    if (active !== undefined) {
      return registered(await findGatewayByName(roots, active.name, active.file, consulted));
    }
  }

  throw new GatewayConfigError(
    `no gateway configured. Looked at: ${consulted.join("; ")}. To fix, pass \`endpoint\` (or \`gateway\`) ` +
      "to OpenShell.connect(), set OPENSHELL_GATEWAY_ENDPOINT, or run the openshell CLI to register a gateway.",
  );
}

/** A registered gateway's own endpoint, which it must have when nothing else gives one. */
function registered(gateway: StoredGateway): GatewayChoice {
  const file = gateway.metadata.file;
  if (gateway.metadata.endpoint === undefined) {
    throw new GatewayConfigError(
      `${file} has no gateway_endpoint (or endpoint): re-register gateway "${gateway.name}" with the openshell CLI, or pass \`endpoint\`.`,
      { source: file },
    );
  }
  return { endpoint: normalizeEndpoint(gateway.metadata.endpoint, file), endpointFrom: file, gateway };
}

/** Option beats variable; blank counts as unset for both. */
function pick(
  option: string | undefined,
  optionName: string,
  env: Env,
  variable: string,
  consulted: string[],
): Sourced | undefined {
  const fromOption = option?.trim() || undefined;
  const fromEnv = envValue(env, variable);
  consulted.push(`${optionName} (${fromOption === undefined ? "not set" : JSON.stringify(fromOption)})`);
  consulted.push(`${variable} (${fromEnv === undefined ? "not set" : JSON.stringify(fromEnv)})`);
  if (fromOption !== undefined) return { value: fromOption, from: optionName };
  if (fromEnv !== undefined) return { value: fromEnv, from: variable };
  return undefined;
}
