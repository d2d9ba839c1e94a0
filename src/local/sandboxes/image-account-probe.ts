import { posix } from "node:path";
import { NotFoundError, UnavailableError } from "../../errors.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { ContainerSpec } from "../../runtime/container-spec.js";
import type { ImageInfo } from "../../runtime/image-types.js";
import { waitForStop } from "../../runtime/wait-for-stop.js";
import { type ImageAccounts, parseAccounts } from "./image-accounts.js";
import { IMAGE_POLICY_PATHS } from "./image-policy-file.js";
import { firstTarEntry } from "./single-file-tar.js";

/** Marks the short-lived containers that read an image's accounts, beside the gateway's own labels. */
export const ACCOUNT_PROBE_LABEL = "openshell.ai/account-probe";

/** Who the probe runs as: never root, whatever the image says (`nobody` on most distributions). */
const PROBE_USER = "65534:65534";

/** A `cat` that does not finish in this long is not a `cat`. */
const PROBE_TIMEOUT_MS = 30_000;

/** The probe could not read the image's accounts: the image has no `cat`, or it failed. */
export class AccountProbeError extends Error {}

/**
 * The image's own policy file, as the probe found it: the first of IMAGE_POLICY_PATHS the image
 * has (its text), none, or why it could not be read.
 */
export type ImagePolicyFile =
  | { found: true; path: string; text: string }
  | { found: false }
  | { found: false; unreadable: string };

/** A policy file larger than this is no policy file (upstream's are a few KiB). */
const MAX_POLICY_BYTES = 1024 * 1024;

/** How many symlinks a policy path may pass through (Linux's own limit). */
const MAX_LINKS = 40;

/** What one probe container is asked for. */
interface Wants {
  accounts: boolean;
  policy: boolean;
}

export interface AccountProbeOptions {
  runtime: ContainerRuntime;
  /** Where the probe container joins: the sandboxes' network, which leads nowhere but the proxy. */
  network: string;
  /** The gateway's labels, so its close and its reconciliation see the probe like its sandboxes. */
  labels: Readonly<Record<string, string>>;
  /**
   * Aborted when the gateway closes. A read is shared by every sandbox of the image, so one
   * sandbox's deletion does not cut it short: that sandbox stops waiting for it instead.
   */
  shutdown: AbortSignal;
}

/**
 * Reads images' /etc/passwd and /etc/group, and their own policy file, once per image id (an id
 * names the image's content, so neither ever changes), from one short-lived container of the image
 * that is removed at once: the policy file through the engine's archive API while the container is
 * only created (nothing of the image runs for it, its entrypoint least of all), the accounts by
 * `cat` on both files run as an unprivileged user, without capabilities, with a read-only root.
 * Concurrent sandboxes of one image share one read; a read that failed is tried again next time.
 */
export class ImageAccountProbe {
  private readonly read = new Map<string, Promise<ImageAccounts>>();
  private readonly policies = new Map<string, Promise<ImagePolicyFile>>();

  constructor(private readonly options: AccountProbeOptions) {}

  /**
   * The image's accounts. Throws AccountProbeError saying why they could not be read, the engine's
   * UnavailableError when it went away, and `signal`'s reason when that aborts first.
   */
  async accountsOf(image: Pick<ImageInfo, "id">, signal: AbortSignal): Promise<ImageAccounts> {
    return (await this.facts(image, { accounts: true, policy: false }, signal)).accounts as ImageAccounts;
  }

  /**
   * The image's policy file (never throws for the file itself: an unreadable one says why), and its
   * accounts too when `accounts` is set, from one container. Throws as {@link accountsOf} does.
   */
  async facts(
    image: Pick<ImageInfo, "id">,
    wants: Wants,
    signal: AbortSignal,
  ): Promise<{ accounts?: ImageAccounts; policy?: ImagePolicyFile }> {
    const id = image.id;
    const need = {
      accounts: wants.accounts && !this.read.has(id),
      policy: wants.policy && !this.policies.has(id),
    };
    if (need.accounts || need.policy) {
      const run = this.probe(id, need);
      // Each facet is remembered apart, so a sandbox wanting only one never waits on the other's retry.
      if (need.accounts)
        this.remember(
          this.read,
          id,
          run.then((r) => r.accounts as ImageAccounts),
        );
      if (need.policy)
        this.remember(
          this.policies,
          id,
          run.then((r) => r.policy as ImagePolicyFile),
        );
    }
    const accounts = wants.accounts ? this.read.get(id) : undefined;
    const policy = wants.policy ? this.policies.get(id) : undefined;
    const [a, p] = await this.abortable(Promise.all([accounts, policy]), signal);
    return { ...(a === undefined ? {} : { accounts: a }), ...(p === undefined ? {} : { policy: p }) };
  }

  private remember<T>(cache: Map<string, Promise<T>>, id: string, pending: Promise<T>): void {
    cache.set(id, pending);
    pending.catch(() => cache.delete(id));
  }

  private async abortable<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([pending, aborted]);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    }
  }

  private async probe(
    imageId: string,
    wants: Wants,
  ): Promise<{ accounts?: ImageAccounts; policy?: ImagePolicyFile }> {
    try {
      return await this.run(imageId, wants);
    } catch (error) {
      if (error instanceof UnavailableError || error instanceof AccountProbeError) throw error;
      throw new AccountProbeError((error as Error).message);
    }
  }

  private async run(
    imageId: string,
    wants: Wants,
  ): Promise<{ accounts?: ImageAccounts; policy?: ImagePolicyFile }> {
    const { runtime, network, labels } = this.options;
    const signal = this.options.shutdown;
    const has = (capability: Parameters<typeof runtime.capabilities.has>[0]) =>
      runtime.capabilities.has(capability);
    const spec: ContainerSpec = {
      image: imageId,
      entrypoint: ["cat"],
      command: ["/etc/passwd", "/etc/group"],
      user: PROBE_USER,
      network,
      labels: { ...labels, [ACCOUNT_PROBE_LABEL]: "true" },
      ...(has("read-only-root") ? { readOnlyRoot: true } : {}),
      ...(has("cap-add-drop") ? { capDrop: ["ALL"] } : {}),
      ...(has("no-new-privileges") ? { noNewPrivileges: true } : {}),
    };
    const limit = AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
    const copies = runtime.capabilities.has("archive-copy");
    const uncopied: ImagePolicyFile = {
      found: false,
      unreadable: `the ${runtime.kind} runtime cannot copy files out of a container (archive-copy), so local mode cannot read it`,
    };
    // No container at all when it could not tell anything.
    if (!wants.accounts && !copies) return { policy: uncopied };
    const { id } = await runtime.createContainer(spec, { signal });
    try {
      // Read before anything runs: the file as the image has it.
      const policy = !wants.policy ? undefined : copies ? await this.policyFile(id, signal) : uncopied;
      if (!wants.accounts) return { ...(policy === undefined ? {} : { policy }) };
      try {
        await runtime.startContainer(id, { signal });
      } catch (error) {
        if (error instanceof UnavailableError) throw error;
        throw new AccountProbeError(`cat could not run in it (${(error as Error).message})`);
      }
      // Undefined where the runtime reports no exit codes (Apple `container`): the output tells.
      const exitCode = await waitForStop(runtime, id, { signal: limit }).catch((error: unknown) => {
        if (signal.aborted || !limit.aborted) throw error;
        throw new AccountProbeError(`cat did not finish within ${PROBE_TIMEOUT_MS / 1000} s`);
      });
      const stdout: string[] = [];
      const stderr: string[] = [];
      for await (const line of runtime.logs(id, { signal })) {
        (line.stream === "stdout" ? stdout : stderr).push(line.text);
      }
      const accounts = parseAccounts(stdout.join("\n"));
      // A missing /etc/group alone still leaves the users (cat says so and exits 1).
      if (accounts.passwd.length === 0) {
        const said = stderr.join(" ").trim();
        throw new AccountProbeError(
          `cat /etc/passwd /etc/group ${exitCode === undefined ? "stopped" : `exited with code ${exitCode}`}${said === "" ? "" : `: ${said}`}`,
        );
      }
      return { accounts, ...(policy === undefined ? {} : { policy }) };
    } finally {
      await runtime.removeContainer(id, { force: true }).catch(() => undefined);
    }
  }

  /** The first policy file the created container's image has, through the engine's archive API. */
  private async policyFile(containerId: string, signal: AbortSignal): Promise<ImagePolicyFile> {
    for (const path of IMAGE_POLICY_PATHS) {
      let current: string = path;
      for (let links = 0; ; links++) {
        let archive: Buffer;
        try {
          archive = await this.archiveOf(containerId, current, signal);
        } catch (error) {
          if (error instanceof NotFoundError) break;
          if (error instanceof UnavailableError) throw error;
          return { found: false, unreadable: `${path} could not be read: ${(error as Error).message}` };
        }
        const entry = (() => {
          try {
            return firstTarEntry(archive);
          } catch (error) {
            return { kind: "other" as const, type: (error as Error).message };
          }
        })();
        if (entry.kind === "file") return { found: true, path, text: entry.content.toString("utf8") };
        if (entry.kind === "other" || links >= MAX_LINKS) {
          const what = entry.kind === "other" ? `is a ${entry.type}` : "passes through too many symlinks";
          return { found: false, unreadable: `${path} ${what}, not a file` };
        }
        current = posix.resolve(posix.dirname(current), entry.target);
      }
    }
    return { found: false };
  }

  private async archiveOf(containerId: string, path: string, signal: AbortSignal): Promise<Buffer> {
    const stream = await this.options.runtime.getArchive(containerId, { path, signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > MAX_POLICY_BYTES + 64 * 1024) {
        stream.destroy();
        throw new Error(`it is larger than ${MAX_POLICY_BYTES / 1024} KiB`);
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }
}
