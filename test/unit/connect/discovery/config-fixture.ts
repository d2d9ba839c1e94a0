import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ConnectOptions } from "../../../../src/connect/connect-options.js";
import { type CertificateAuthority, createCertificateAuthority } from "../../../support/certs.js";

/** One real certificate and key for every fixture: discovery checks that mTLS files hold PEM. */
let material: Promise<CertificateAuthority> | undefined;

/**
 * Real PEM (a certificate, or a key for `.key` files and `key` items) after a first line naming
 * it: PEM readers skip text before `-----BEGIN`, and the tests tell files apart by that line.
 */
export async function labelledPem(label: string, kind: "cert" | "key"): Promise<string> {
  material ??= createCertificateAuthority("discovery-fixture");
  const { cert, key } = await material;
  return `${label}\n${kind === "key" ? key : cert}`;
}

const pemFor = (file: string, label: string) => labelledPem(label, file.endsWith(".key") ? "key" : "cert");

/** The label line of PEM text written by {@link labelledPem}. */
export const label = (b: Buffer | string | undefined) => b?.toString().split("\n")[0];

export interface GatewayFiles {
  /** metadata.json contents: an object (serialised) or raw text; omitted = no metadata.json. */
  metadata?: Record<string, unknown> | string;
  /** Which mTLS files to write into `mtls/` (a first line `<file> of <name>`, then real PEM). */
  mtls?: ("ca.crt" | "tls.crt" | "tls.key")[];
  edgeToken?: string;
  cfToken?: string;
  oidcToken?: Record<string, unknown>;
}

export const allMtls: GatewayFiles["mtls"] = ["ca.crt", "tls.crt", "tls.key"];

/**
 * A throwaway HOME and system root under the OS temp folder, so discovery tests never see the real
 * ~/.config/openshell or /etc/openshell.
 */
export class ConfigFixture {
  private constructor(
    readonly base: string,
    readonly home: string,
    readonly userRoot: string,
    readonly systemRoot: string,
  ) {}

  static async create(): Promise<ConfigFixture> {
    const base = await mkdtemp(path.join(tmpdir(), "openshell-discovery-"));
    const home = path.join(base, "home");
    await mkdir(home, { recursive: true });
    return new ConfigFixture(
      base,
      home,
      path.join(home, ".config", "openshell"),
      path.join(base, "etc-openshell"),
    );
  }

  /** Environment with HOME and the system root pointing into the fixture, plus `extra`. */
  env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return { HOME: this.home, OPENSHELL_SYSTEM_GATEWAY_DIR: this.systemRoot, ...extra };
  }

  options(extra: ConnectOptions = {}, env: Record<string, string | undefined> = {}): ConnectOptions {
    return { homeDir: this.home, platform: "linux", ...extra, env: this.env(env) };
  }

  gatewayDir(root: string, name: string): string {
    return path.join(root, "gateways", name);
  }

  async addGateway(root: string, name: string, files: GatewayFiles): Promise<string> {
    const dir = this.gatewayDir(root, name);
    await mkdir(dir, { recursive: true });
    if (files.metadata !== undefined) {
      const text = typeof files.metadata === "string" ? files.metadata : JSON.stringify(files.metadata);
      await writeFile(path.join(dir, "metadata.json"), text);
    }
    if (files.mtls?.length) {
      await mkdir(path.join(dir, "mtls"), { recursive: true, mode: 0o700 });
      for (const file of files.mtls) {
        await writeFile(path.join(dir, "mtls", file), await pemFor(file, `${file} of ${name}`));
      }
    }
    if (files.edgeToken !== undefined) await writeFile(path.join(dir, "edge_token"), files.edgeToken);
    if (files.cfToken !== undefined) await writeFile(path.join(dir, "cf_token"), files.cfToken);
    if (files.oidcToken !== undefined) {
      await writeFile(path.join(dir, "oidc_token.json"), JSON.stringify(files.oidcToken), { mode: 0o600 });
    }
    return dir;
  }

  async setActive(root: string, content: string): Promise<void> {
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, "active_gateway"), content);
  }

  /** A folder outside both roots holding the given mTLS files. */
  async mtlsFolder(label: string, files: NonNullable<GatewayFiles["mtls"]>): Promise<string> {
    const dir = path.join(this.base, label);
    await mkdir(dir, { recursive: true });
    for (const file of files)
      await writeFile(path.join(dir, file), await pemFor(file, `${file} of ${label}`));
    return dir;
  }

  async cleanup(): Promise<void> {
    await rm(this.base, { recursive: true, force: true });
  }
}
