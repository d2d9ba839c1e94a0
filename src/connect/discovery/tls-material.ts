import path from "node:path";
import { GatewayConfigError } from "../../errors.js";
import type { TlsOptions } from "../connect-options.js";
import type { TlsMaterial } from "../gateway-target.js";
import { readBytesIfExists } from "./config-files.js";
import { type Env, envFlag, envValue } from "./env-values.js";
import { checkPem, type PemItem } from "./pem-material.js";
import type { StoredGateway } from "./stored-gateways.js";

type PemSet = Partial<Record<PemItem, Buffer>>;
/** Where each item came from: its file, or the option that held it. */
type PemSources = Partial<Record<PemItem, string>>;

const fileNames: Record<PemItem, string> = { ca: "ca.crt", cert: "tls.crt", key: "tls.key" };
const items: readonly PemItem[] = ["ca", "cert", "key"];

export interface TlsInputs {
  endpoint: string;
  env: Env;
  tls: TlsOptions | undefined;
  /** Option `mtlsDir`. */
  mtlsDir: string | undefined;
  /** The registered gateway whose `mtls/` folder applies, if any. */
  gateway: StoredGateway | undefined;
  consulted: string[];
}

/**
 * The TLS material for an https endpoint; undefined for http. Each of CA, certificate and key comes
 * from the `tls` option if given, else from the mTLS folder in force (option `mtlsDir`, else
 * `OPENSHELL_GATEWAY_MTLS_DIR`, else the gateway's own `mtls/`).
 */
export async function resolveTlsMaterial(input: TlsInputs): Promise<TlsMaterial | undefined> {
  if (!input.endpoint.startsWith("https://")) return undefined;
  const sources: PemSources = {};
  const explicit = await explicitPem(input.tls, sources);
  const fromFolder = await folderPem(input, (item) => explicit[item] === undefined, sources);
  const pem: PemSet = { ...fromFolder, ...explicit };
  if ((pem.cert === undefined) !== (pem.key === undefined)) {
    const [given, absent] = pem.cert === undefined ? ["key", "certificate"] : ["certificate", "key"];
    throw new GatewayConfigError(
      `a client ${given} was given without its ${absent} (option tls or the mTLS folder): mTLS needs both.`,
      { source: "option tls" },
    );
  }
  for (const item of items) {
    const bytes = pem[item];
    if (bytes !== undefined) checkPem(item, bytes, sources[item] ?? `option tls.${item}`);
  }
  return {
    ca: pem.ca,
    cert: pem.cert,
    key: pem.key,
    serverName: input.tls?.serverName ?? envValue(input.env, "OPENSHELL_GATEWAY_TLS_SERVER_NAME"),
    insecureSkipVerify: input.tls?.insecureSkipVerify ?? envFlag(input.env, "OPENSHELL_GATEWAY_INSECURE"),
  };
}

async function explicitPem(tls: TlsOptions | undefined, sources: PemSources): Promise<PemSet> {
  const pem: PemSet = {};
  if (!tls) return pem;
  for (const item of items) {
    const content = tls[item];
    const fileKey = `${item}File` as const;
    const file = tls[fileKey];
    if (content !== undefined && file !== undefined) {
      throw new GatewayConfigError(`give either tls.${item} or tls.${fileKey}, not both.`, {
        source: `option tls.${fileKey}`,
      });
    }
    if (content !== undefined) {
      pem[item] = Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
      sources[item] = `option tls.${item}`;
    }
    if (file !== undefined) {
      const bytes = await readBytesIfExists(file);
      if (bytes === undefined) {
        throw new GatewayConfigError(`tls.${fileKey}: ${file} does not exist.`, { source: file });
      }
      pem[item] = bytes;
      sources[item] = file;
    }
  }
  return pem;
}

/**
 * Reads the mTLS folder in force. An explicitly chosen folder and an mTLS gateway's folder must hold
 * every file not supplied otherwise; for other auth modes the folder is best effort (full bundle when
 * complete, else the CA alone, else system roots), as the CLI does for OIDC gateways.
 */
async function folderPem(
  input: TlsInputs,
  wanted: (item: PemItem) => boolean,
  sources: PemSources,
): Promise<PemSet> {
  const chosen = input.mtlsDir ?? envValue(input.env, "OPENSHELL_GATEWAY_MTLS_DIR");
  const chosenFrom = input.mtlsDir !== undefined ? "option mtlsDir" : "OPENSHELL_GATEWAY_MTLS_DIR";
  const dir = chosen ?? (input.gateway ? path.join(input.gateway.dir, "mtls") : undefined);
  if (dir === undefined) return {};

  const found: PemSet = {};
  for (const item of items) {
    if (!wanted(item)) continue;
    const file = path.join(dir, fileNames[item]);
    const bytes = await readBytesIfExists(file);
    input.consulted.push(`${file} (${bytes ? "found" : "not found"})`);
    if (bytes) {
      found[item] = bytes;
      sources[item] = file;
    }
  }

  const strict = chosen !== undefined || input.gateway?.metadata.authMode === "mtls";
  if (strict) {
    const missing = items.find((item) => wanted(item) && found[item] === undefined);
    if (missing !== undefined) {
      const file = path.join(dir, fileNames[missing]);
      const why =
        chosen !== undefined
          ? `${chosenFrom} points at ${dir}, which must hold ca.crt, tls.crt and tls.key`
          : `gateway "${input.gateway?.name}" uses mTLS (${input.gateway?.metadata.file}) and needs ca.crt, tls.crt and tls.key in ${dir}`;
      throw new GatewayConfigError(
        `${file} is missing: ${why}. Re-register the gateway with the openshell CLI, or point ` +
          "OPENSHELL_GATEWAY_MTLS_DIR (or option mtlsDir) at a folder with all three files.",
        { source: file },
      );
    }
    return found;
  }
  if (items.every((item) => !wanted(item) || found[item] !== undefined)) return found;
  return found.ca !== undefined ? { ca: found.ca } : {};
}
