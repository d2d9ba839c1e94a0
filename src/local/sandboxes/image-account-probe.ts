import { UnavailableError } from "../../errors.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { ContainerSpec } from "../../runtime/container-spec.js";
import type { ImageInfo } from "../../runtime/image-types.js";
import { waitForStop } from "../../runtime/wait-for-stop.js";
import { type ImageAccounts, parseAccounts } from "./image-accounts.js";

/** Marks the short-lived containers that read an image's accounts, beside the gateway's own labels. */
export const ACCOUNT_PROBE_LABEL = "openshell.ai/account-probe";

/** Who the probe runs as: never root, whatever the image says (`nobody` on most distributions). */
const PROBE_USER = "65534:65534";

/** A `cat` that does not finish in this long is not a `cat`. */
const PROBE_TIMEOUT_MS = 30_000;

/** The probe could not read the image's accounts: the image has no `cat`, or it failed. */
export class AccountProbeError extends Error {}

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
 * Reads images' /etc/passwd and /etc/group, once per image id (an id names the image's content, so
 * its accounts never change): a container of the image runs `cat` on both files as an unprivileged
 * user, without capabilities, with a read-only root, and is removed at once. Concurrent sandboxes
 * of one image share one read; a read that failed is tried again next time.
 */
export class ImageAccountProbe {
  private readonly read = new Map<string, Promise<ImageAccounts>>();

  constructor(private readonly options: AccountProbeOptions) {}

  /**
   * The image's accounts. Throws AccountProbeError saying why they could not be read, the engine's
   * UnavailableError when it went away, and `signal`'s reason when that aborts first.
   */
  async accountsOf(image: Pick<ImageInfo, "id">, signal: AbortSignal): Promise<ImageAccounts> {
    let pending = this.read.get(image.id);
    if (pending === undefined) {
      pending = this.probe(image.id);
      this.read.set(image.id, pending);
      pending.catch(() => this.read.delete(image.id));
    }
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

  private async probe(imageId: string): Promise<ImageAccounts> {
    try {
      return await this.run(imageId);
    } catch (error) {
      if (error instanceof UnavailableError || error instanceof AccountProbeError) throw error;
      throw new AccountProbeError((error as Error).message);
    }
  }

  private async run(imageId: string): Promise<ImageAccounts> {
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
    const { id } = await runtime.createContainer(spec, { signal });
    try {
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
      return accounts;
    } finally {
      await runtime.removeContainer(id, { force: true }).catch(() => undefined);
    }
  }
}
