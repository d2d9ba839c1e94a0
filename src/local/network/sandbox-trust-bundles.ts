import { createHash } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { MountSpec } from "../../runtime/container-spec.js";
import { publicFileMode, writeFileAtomic } from "../listen/private-files.js";
import { assembleTrustBundle } from "./image-ca-bundle.js";

/** Where a sandbox finds its trust files, as upstream's supervisor writes them: a read-only mount. */
export const SANDBOX_TRUST_DIR = "/etc/openshell-tls";
/** The egress CA alone (NODE_EXTRA_CA_CERTS, DENO_CERT). */
export const SANDBOX_CA_FILE = `${SANDBOX_TRUST_DIR}/openshell-ca.pem`;
/** The image's own roots plus the egress CA (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO). */
export const SANDBOX_BUNDLE_FILE = `${SANDBOX_TRUST_DIR}/ca-bundle.pem`;

/** The folder of the sandboxes of images local mode could not read (Apple `container`): this host's roots. */
const HOST_KEY = "host-roots";
/** Beside each folder: the roots it was made from (empty: none), to make it again with a new CA. */
const ROOTS_SUFFIX = ".roots.pem";

/** A trust folder's mount: a read-only bind of the folder at /etc/openshell-tls. */
export type TrustMount = Extract<MountSpec, { type: "bind" }>;

/** What a folder is made from: the roots of an image (by id), or this host's for the fallback. */
export type TrustSource = { imageId: string; roots: string | undefined } | { host: true };

/**
 * The trust folders sandboxes mount at /etc/openshell-tls: one per image id, holding
 * `openshell-ca.pem` and `ca-bundle.pem` (that image's system roots, then the egress CA), under
 * `<state>/egress-tls/bundles/`. A folder per image rather than a file per sandbox: the engines bind
 * a file by its inode, so a file replaced later (a new CA) would stay old in running sandboxes,
 * while a folder's mount sees its files replaced. Folders and files are readable by everyone
 * (sandboxes run as any user); they hold certificates only.
 */
export class SandboxTrustBundles {
  constructor(
    /** `<state>/egress-tls/bundles`. */
    readonly dir: string,
    private readonly caCert: string,
    /** This host's CA bundle, for the fallback folder. */
    private readonly hostRoots: string | undefined,
  ) {}

  /** The folder's name for an image id: the id's hex digest itself, or a digest of any other id. */
  static keyOf(imageId: string): string {
    const hex = /^(?:sha256:)?([0-9a-f]{64})$/.exec(imageId)?.[1];
    return hex ?? createHash("sha256").update(imageId).digest("hex");
  }

  /** The mount of an image's folder when it was made before (by this gateway or an earlier start). */
  async existing(imageId: string): Promise<TrustMount | undefined> {
    const key = SandboxTrustBundles.keyOf(imageId);
    try {
      await readFile(path.join(this.dir, key, "ca-bundle.pem"));
      await readFile(path.join(this.dir, `${key}${ROOTS_SUFFIX}`));
      return this.mount(key);
    } catch {
      return undefined;
    }
  }

  /** Makes (or makes again) the folder of `source` and returns its mount for a sandbox. */
  async ensure(source: TrustSource): Promise<TrustMount> {
    const key = "host" in source ? HOST_KEY : SandboxTrustBundles.keyOf(source.imageId);
    const roots = "host" in source ? this.hostRoots : source.roots;
    await this.write(key, roots);
    return this.mount(key);
  }

  /**
   * Makes every folder again with the current CA (a gateway start may have made a new one): running
   * sandboxes see the new files through their mounts. A folder whose roots file is gone is left as is.
   */
  async refresh(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    await chmod(this.dir, 0o755);
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith(ROOTS_SUFFIX)) continue;
      const key = name.slice(0, -ROOTS_SUFFIX.length);
      const roots = await readFile(path.join(this.dir, name), "utf8").catch(() => undefined);
      if (roots !== undefined) await this.write(key, roots === "" ? undefined : roots);
    }
  }

  /**
   * Removes the folders of images none of `inUse` (image ids of the sandboxes that remain) is of.
   * Only names this class makes are touched: 64 hex digits or the fallback's.
   */
  async prune(inUse: Iterable<string>): Promise<void> {
    const keep = new Set([...inUse].map((id) => SandboxTrustBundles.keyOf(id)));
    keep.add(HOST_KEY);
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const key = name.endsWith(ROOTS_SUFFIX) ? name.slice(0, -ROOTS_SUFFIX.length) : name;
      if (!/^[0-9a-f]{64}$/.test(key) || keep.has(key)) continue;
      await rm(path.join(this.dir, name), { recursive: true, force: true });
    }
  }

  private mount(key: string): TrustMount {
    return { type: "bind", source: path.join(this.dir, key), target: SANDBOX_TRUST_DIR, readOnly: true };
  }

  /** The folder's files replaced one by one, never the folder (a mounted folder must stay the same). */
  private async write(key: string, roots: string | undefined): Promise<void> {
    const folder = path.join(this.dir, key);
    await mkdir(folder, { recursive: true, mode: 0o755 });
    await chmod(folder, 0o755);
    // Newline-terminated, as PEM files are, so the bundle is exactly the image's roots then this file.
    const ca = this.caCert.endsWith("\n") ? this.caCert : `${this.caCert}\n`;
    await writeFileAtomic(path.join(folder, "openshell-ca.pem"), ca, publicFileMode);
    await writeFileAtomic(
      path.join(folder, "ca-bundle.pem"),
      assembleTrustBundle(roots, this.caCert),
      publicFileMode,
    );
    // Last: its presence says the folder is whole (see existing()).
    await writeFileAtomic(path.join(this.dir, `${key}${ROOTS_SUFFIX}`), roots ?? "", publicFileMode);
  }
}
