import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { readTextIfExists } from "../../connect/discovery/config-files.js";
import { userConfigRoot } from "../../connect/discovery/config-roots.js";
import type { Env } from "../../connect/discovery/env-values.js";
import { checkGatewayName } from "../../connect/discovery/gateway-name.js";
import { normalizeEndpoint } from "../../connect/discovery/normalize-endpoint.js";
import { AlreadyExistsError, InvalidArgumentError, OpenShellError } from "../../errors.js";
import type { GatewayCertificates } from "./gateway-certificates.js";
import { ensurePrivateDir, privateFileMode, publicFileMode, writeFileAtomic } from "./private-files.js";

/**
 * Marks a registration as written by this SDK, so that it may be replaced or removed later, while a
 * gateway the openshell CLI registered under the same name (with keys that exist nowhere else) is
 * never overwritten.
 */
const managedBy = "openshell-sdk";

export interface RegisterGatewayOptions {
  /** The gateway name clients pass as `gateway` (or `OPENSHELL_GATEWAY`): one folder name. */
  name: string;
  /** The listener's `https://` URL, from `listenWithMtls()`. */
  endpoint: string;
  /** The certificates the listener uses: clients get the CA and the client certificate and key. */
  certificates: GatewayCertificates;
  /**
   * The config root to register under. Default: the user root discovery reads,
   * `$XDG_CONFIG_HOME/openshell` or `~/.config/openshell`.
   */
  configRoot?: string;
  /** Also write `<configRoot>/active_gateway`, so clients given no gateway use this one. */
  makeActive?: boolean;
  /** Environment for the default config root, as for `OpenShell.connect()`. Default `process.env`. */
  env?: Env;
  /** Home folder for the default config root, as for `OpenShell.connect()`. */
  homeDir?: string;
}

/** A gateway registration, undone by {@link GatewayRegistration.unregister} (or `await using`). */
export interface GatewayRegistration extends AsyncDisposable {
  name: string;
  /** `<configRoot>/gateways/<name>`. */
  dir: string;
  configRoot: string;
  /**
   * Removes the gateway folder, and `active_gateway` when it names this gateway (restoring the name it
   * held before `makeActive`, if any). Leaves both alone when another gateway has since registered
   * under the same name. Safe to call twice.
   */
  unregister(): Promise<void>;
}

/**
 * Registers a listening gateway the way the openshell CLI does (SEMANTICS §1), so that
 * `OpenShell.connect({ gateway: name })`, the CLI and other OpenShell clients find it:
 * `gateways/<name>/metadata.json` (an mTLS gateway) and `mtls/ca.crt`, `tls.crt`, `tls.key`.
 *
 * @throws InvalidArgumentError for a name discovery would reject or an endpoint that is not https.
 * @throws AlreadyExistsError when another tool registered a gateway under `name`.
 */
export async function registerGateway(options: RegisterGatewayOptions): Promise<GatewayRegistration> {
  const name = validName(options.name);
  const endpoint = validEndpoint(options.endpoint);
  const configRoot =
    options.configRoot ??
    userConfigRoot({ env: options.env ?? process.env, homeDir: options.homeDir, platform: process.platform });
  const dir = path.join(configRoot, "gateways", name);
  const metadataFile = path.join(dir, "metadata.json");
  const activeFile = path.join(configRoot, "active_gateway");

  await refuseForeignRegistration(dir, metadataFile, name);
  const mtls = path.join(dir, "mtls");
  await ensurePrivateDir(dir);
  await ensurePrivateDir(mtls);
  const { certificates } = options;
  await writeFileAtomic(path.join(mtls, "ca.crt"), certificates.ca, publicFileMode);
  await writeFileAtomic(path.join(mtls, "tls.crt"), certificates.client.cert, publicFileMode);
  await writeFileAtomic(path.join(mtls, "tls.key"), certificates.client.key, privateFileMode);
  // Metadata last: a client that finds it can rely on the mTLS files being there.
  const metadata = {
    name,
    gateway_endpoint: endpoint,
    is_remote: false,
    gateway_port: Number(new URL(endpoint).port) || 443,
    auth_mode: "mtls",
    managed_by: managedBy,
  };
  await writeFileAtomic(metadataFile, `${JSON.stringify(metadata, null, 2)}\n`, publicFileMode);

  let previousActive: string | undefined;
  if (options.makeActive === true) {
    previousActive = (await readTextIfExists(activeFile))?.trim();
    await writeFileAtomic(activeFile, `${name}\n`, publicFileMode);
  }

  let unregistering: Promise<void> | undefined;
  const unregister = (): Promise<void> => {
    unregistering ??= (async () => {
      // Someone else's registration now: removing it would break a gateway that is running.
      if (!(await isOurs(metadataFile, endpoint))) return;
      await rm(dir, { recursive: true, force: true });
      if ((await readTextIfExists(activeFile))?.trim() !== name) return;
      if (previousActive !== undefined && previousActive !== "" && previousActive !== name) {
        await writeFileAtomic(activeFile, `${previousActive}\n`, publicFileMode);
      } else {
        await rm(activeFile, { force: true });
      }
    })();
    return unregistering;
  };

  return { name, dir, configRoot, unregister, [Symbol.asyncDispose]: unregister };
}

function validName(name: string): string {
  try {
    return checkGatewayName(name, "option name");
  } catch (err) {
    if (!(err instanceof OpenShellError)) throw err;
    throw new InvalidArgumentError(err.message, { field: "name", cause: err });
  }
}

function validEndpoint(raw: string): string {
  let endpoint: string;
  try {
    endpoint = normalizeEndpoint(raw, "option endpoint");
  } catch (err) {
    if (!(err instanceof OpenShellError)) throw err;
    throw new InvalidArgumentError(err.message, { field: "endpoint", cause: err });
  }
  if (!endpoint.startsWith("https://")) {
    throw new InvalidArgumentError(
      `endpoint ${JSON.stringify(raw)} is not https://: a gateway registered with mTLS files must be ` +
        "reached over TLS. Pass the endpoint listenWithMtls() returned.",
      { field: "endpoint" },
    );
  }
  return endpoint;
}

/** A non-empty gateway folder without our marker belongs to the CLI or another tool. */
async function refuseForeignRegistration(dir: string, metadataFile: string, name: string): Promise<void> {
  const entries = await readdir(dir).catch(() => []);
  if (entries.length === 0) return;
  const metadata = parseJson(await readTextIfExists(metadataFile));
  if (metadata?.managed_by === managedBy) return;
  throw new AlreadyExistsError(
    `a gateway named "${name}" is already registered in ${dir} by another tool (such as the openshell CLI), ` +
      "and replacing it would lose its credentials. Choose another name, or remove that gateway first.",
  );
}

async function isOurs(metadataFile: string, endpoint: string): Promise<boolean> {
  const metadata = parseJson(await readTextIfExists(metadataFile));
  return metadata?.managed_by === managedBy && metadata.gateway_endpoint === endpoint;
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
