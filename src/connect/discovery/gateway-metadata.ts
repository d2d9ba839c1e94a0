import { z } from "zod";
import { GatewayConfigError } from "../../errors.js";
import { type AuthMode, parseAuthMode } from "./auth-mode.js";
import { readTextIfExists } from "./config-files.js";

// The CLI serialises optional fields as null, and other tools add fields of their own: accept both.
const optionalText = z.string().nullish();

const metadataSchema = z.looseObject({
  name: optionalText,
  gateway_endpoint: optionalText,
  endpoint: optionalText,
  auth_mode: optionalText,
  edge_team_domain: optionalText,
  cf_team_domain: optionalText,
  edge_auth_url: optionalText,
  cf_auth_url: optionalText,
  oidc_issuer: optionalText,
  oidc_client_id: optionalText,
  oidc_audience: optionalText,
  oidc_scopes: optionalText,
});

/** The parts of `gateways/<name>/metadata.json` the SDK uses, old field names folded in. */
export interface GatewayMetadata {
  /** Absolute path of the metadata.json it came from, for error messages. */
  file: string;
  /** The registered URL as written (not normalised); undefined when the file has none. */
  endpoint: string | undefined;
  authMode: AuthMode;
  edgeTeamDomain: string | undefined;
  edgeAuthUrl: string | undefined;
  oidcIssuer: string | undefined;
  oidcClientId: string | undefined;
  oidcAudience: string | undefined;
  oidcScopes: string[];
}

const nonBlank = (...values: (string | null | undefined)[]) =>
  values.map((v) => v?.trim()).find((v) => v !== undefined && v !== "");

/** Parses metadata.json text; every problem is a GatewayConfigError naming `file`. */
export function parseGatewayMetadata(text: string, file: string): GatewayMetadata {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GatewayConfigError(`${file} is not valid JSON (${(err as Error).message}).`, {
      source: file,
      cause: err,
    });
  }
  const parsed = metadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join(".");
    const what = field ? `field ${field}: ${issue?.message}` : "expected a JSON object";
    throw new GatewayConfigError(`${file} is not a valid gateway metadata file (${what}).`, { source: file });
  }
  const m = parsed.data;
  return {
    file,
    endpoint: nonBlank(m.gateway_endpoint, m.endpoint),
    authMode: parseAuthMode(m.auth_mode, file),
    edgeTeamDomain: nonBlank(m.edge_team_domain, m.cf_team_domain),
    edgeAuthUrl: nonBlank(m.edge_auth_url, m.cf_auth_url),
    oidcIssuer: nonBlank(m.oidc_issuer),
    oidcClientId: nonBlank(m.oidc_client_id),
    oidcAudience: nonBlank(m.oidc_audience),
    oidcScopes: (m.oidc_scopes ?? "").split(/\s+/).filter((s) => s !== ""),
  };
}

/** Reads and parses a metadata.json; undefined when the file does not exist. */
export async function readGatewayMetadata(file: string): Promise<GatewayMetadata | undefined> {
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : parseGatewayMetadata(text, file);
}
