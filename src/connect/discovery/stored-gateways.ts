import { readdir } from "node:fs/promises";
import path from "node:path";
import { GatewayConfigError } from "../../errors.js";
import { isMissing, readTextIfExists } from "./config-files.js";
import { type GatewayMetadata, readGatewayMetadata } from "./gateway-metadata.js";
import { checkGatewayName } from "./gateway-name.js";
import { endpointKey } from "./normalize-endpoint.js";

/** A gateway registered under a config root: `<root>/gateways/<name>/` with a metadata.json. */
export interface StoredGateway {
  name: string;
  /** `<root>/gateways/<name>`: mtls/, edge_token, oidc_token.json live here. */
  dir: string;
  metadata: GatewayMetadata;
}

/** The two config roots, user first: a user gateway hides a system gateway of the same name. */
export interface ConfigRoots {
  user: string;
  system: string;
}

const gatewayDir = (root: string, name: string) => path.join(root, "gateways", name);

/** The gateway registered under `name`, looking in the user root and then the system root. */
export async function findGatewayByName(
  roots: ConfigRoots,
  name: string,
  from: string,
  consulted: string[],
): Promise<StoredGateway> {
  const looked: string[] = [];
  for (const root of [roots.user, roots.system]) {
    const dir = gatewayDir(root, name);
    const file = path.join(dir, "metadata.json");
    looked.push(file);
    const metadata = await readGatewayMetadata(file);
    consulted.push(`${file} (${metadata ? "found" : "not found"})`);
    if (metadata) return { name, dir, metadata };
  }
  throw new GatewayConfigError(
    `gateway "${name}" (from ${from}) is not registered: looked for ${looked.join(" and ")}. ` +
      "Check the name, register the gateway with the openshell CLI, or pass `endpoint` instead.",
    { source: from },
  );
}

/**
 * The stored gateway whose registered endpoint is `endpoint`, so an explicit endpoint still gets the
 * credentials the CLI saved for it. Broken entries are skipped, not fatal: one stale registration must
 * not stop a caller who named the endpoint directly.
 */
export async function findGatewayByEndpoint(
  roots: ConfigRoots,
  endpoint: string,
  consulted: string[],
): Promise<StoredGateway | undefined> {
  const wanted = endpointKey(endpoint);
  const seen = new Set<string>();
  for (const root of [roots.user, roots.system]) {
    const names = await listGatewayNames(root);
    consulted.push(`${path.join(root, "gateways")} (${names.length} registered)`);
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      const dir = gatewayDir(root, name);
      let metadata: GatewayMetadata | undefined;
      try {
        metadata = await readGatewayMetadata(path.join(dir, "metadata.json"));
      } catch (err) {
        consulted.push(`${path.join(dir, "metadata.json")} (skipped: ${(err as Error).message})`);
        continue;
      }
      if (metadata?.endpoint !== undefined && endpointKey(metadata.endpoint) === wanted) {
        consulted.push(`${metadata.file} (endpoint matches)`);
        return { name, dir, metadata };
      }
    }
  }
  return undefined;
}

async function listGatewayNames(root: string): Promise<string[]> {
  try {
    const entries = await readdir(path.join(root, "gateways"), { withFileTypes: true });
    // Sorted so that two registrations of one endpoint resolve the same way on every machine.
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if (isMissing(err)) return [];
    throw new GatewayConfigError(`cannot list ${path.join(root, "gateways")}: ${(err as Error).message}`, {
      source: path.join(root, "gateways"),
      cause: err,
    });
  }
}

/** The name in `<root>/active_gateway`, trimmed, with the file it came from; undefined when absent. */
export async function readActiveGateway(
  root: string,
  consulted: string[],
): Promise<{ name: string; file: string } | undefined> {
  const file = path.join(root, "active_gateway");
  const text = await readTextIfExists(file);
  if (text === undefined) {
    consulted.push(`${file} (not found)`);
    return undefined;
  }
  const name = checkGatewayName(text.trim(), file);
  consulted.push(`${file} (names "${name}")`);
  return { name, file };
}
