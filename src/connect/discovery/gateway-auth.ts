import { stat } from "node:fs/promises";
import path from "node:path";
import { GatewayConfigError } from "../../errors.js";
import { oidcTokenSource } from "../auth/oidc-token-source.js";
import { staticTokenSource } from "../auth/static-token-source.js";
import type { GatewayAuth } from "../gateway-target.js";
import { isMissing, readTextIfExists } from "./config-files.js";
import type { StoredGateway } from "./stored-gateways.js";
import { checkTokenValue } from "./token-value.js";

export interface AuthInputs {
  /** Option `token`. */
  token: string | undefined;
  /** Option `edgeToken`. */
  edgeToken: string | undefined;
  /** The registered gateway whose stored tokens apply, if any. */
  gateway: StoredGateway | undefined;
  consulted: string[];
}

/**
 * Bearer (OIDC) beats edge when both exist, as in the CLI. Options beat the gateway's files. A gateway
 * registered for OIDC or edge auth without its token file is an error now, at connect time, rather
 * than a confusing rejection on the first call.
 */
export async function resolveAuth(input: AuthInputs): Promise<GatewayAuth> {
  const gateway = input.gateway;
  if (input.token)
    return { kind: "bearer", source: staticTokenSource(checkTokenValue(input.token, "option token")) };
  if (gateway?.metadata.authMode === "oidc") {
    const file = path.join(gateway.dir, "oidc_token.json");
    if (!(await exists(file))) {
      input.consulted.push(`${file} (not found)`);
      throw new GatewayConfigError(
        `gateway "${gateway.name}" uses OIDC (${gateway.metadata.file}) but ${file} does not exist: ` +
          "log in with the openshell CLI, or pass `token`.",
        { source: file },
      );
    }
    input.consulted.push(`${file} (found)`);
    return { kind: "bearer", source: oidcTokenSource(file) };
  }
  if (input.edgeToken) return { kind: "edge", token: checkTokenValue(input.edgeToken, "option edgeToken") };
  if (gateway) {
    const edge = await readEdgeToken(gateway.dir, input.consulted);
    if (edge !== undefined) return { kind: "edge", token: edge };
    if (gateway.metadata.authMode === "cloudflare_jwt") {
      const file = path.join(gateway.dir, "edge_token");
      throw new GatewayConfigError(
        `gateway "${gateway.name}" sits behind an edge proxy (${gateway.metadata.file}) but has no token in ${file} ` +
          "(or cf_token): log in with the openshell CLI, or pass `edgeToken`.",
        { source: file },
      );
    }
  }
  return { kind: "none" };
}

/** `edge_token`, else its old name `cf_token`; blank files count as absent. */
async function readEdgeToken(dir: string, consulted: string[]): Promise<string | undefined> {
  for (const name of ["edge_token", "cf_token"]) {
    const file = path.join(dir, name);
    const token = (await readTextIfExists(file))?.trim();
    consulted.push(`${file} (${token ? "found" : "not found"})`);
    if (token) return checkTokenValue(token, file);
  }
  return undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw new GatewayConfigError(`cannot read ${file}: ${(err as Error).message}`, {
      source: file,
      cause: err,
    });
  }
}
