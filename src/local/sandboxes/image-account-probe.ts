import { OpenShellError, UnavailableError } from "../../errors.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { ContainerSpec } from "../../runtime/container-spec.js";
import type { ImageInfo } from "../../runtime/image-types.js";
import { waitForStop } from "../../runtime/wait-for-stop.js";
import { findImageCaBundle, type ImageCaBundle, MAX_CA_BUNDLE_BYTES } from "../network/image-ca-bundle.js";
import { ACCOUNT_PROBE_LABEL, claimProbeName, probeLabels } from "./account-probe-owner.js";
import { type ImageAccounts, parseAccounts } from "./image-accounts.js";
import { readImageFile } from "./image-archive-file.js";
import { IMAGE_POLICY_PATHS } from "./image-policy-file.js";

export { ACCOUNT_PROBE_LABEL };

/** Who the probe runs as: never root, whatever the image says (`nobody` on most distributions). */
const PROBE_USER = "65534:65534";

/** A `cat` that does not finish in this long is not a `cat`. */
const PROBE_TIMEOUT_MS = 30_000;

/** An engine that has not made a container in this long is not answering; a close waits no longer. */
const CREATE_TIMEOUT_MS = 30_000;

/** How long the probe container's removal may take before it is left to the next start's sweep. */
const REMOVE_TIMEOUT_MS = 10_000;

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

/** What one probe container is asked for (an absent facet is not wanted). */
export interface ProbeWants {
  accounts?: boolean;
  policy?: boolean;
  /** The image's system CA bundle (see image-ca-bundle.ts). */
  caBundle?: boolean;
}

/** What a probe found, each facet when it was asked for. */
export interface ProbeFacts {
  accounts?: ImageAccounts;
  policy?: ImagePolicyFile;
  caBundle?: ImageCaBundle;
}

/** What one probe container read: the files always (a failed file read says why), the accounts or why not. */
interface ProbeRun {
  accounts?: ImageAccounts | { failed: unknown };
  policy?: ImagePolicyFile;
  caBundle?: ImageCaBundle;
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
  /**
   * Given each probe run as it starts, so the gateway's close waits for it: a run still holds its
   * container (or a create the engine may yet answer) after every sandbox waiting for it gave up.
   */
  track?: (run: Promise<unknown>) => void;
}

/**
 * Reads images' /etc/passwd and /etc/group, their own policy file and their system CA bundle, once
 * per image id (an id names the image's content, so none of them ever changes), from one
 * short-lived container of the image that is removed at once: the files through the engine's
 * archive API while the container is only created (nothing of the image runs for them, its
 * entrypoint least of all), the accounts by `cat` on both files run as an unprivileged user,
 * without capabilities, with a read-only root. Concurrent sandboxes of one image share one read; a
 * read that failed is tried again next time. Accounts that cannot be read fail only that facet.
 */
export class ImageAccountProbe {
  private readonly read = new Map<string, Promise<ImageAccounts>>();
  private readonly policies = new Map<string, Promise<ImagePolicyFile>>();
  private readonly caBundles = new Map<string, Promise<ImageCaBundle>>();

  constructor(private readonly options: AccountProbeOptions) {}

  /**
   * The image's accounts. Throws AccountProbeError saying why they could not be read, the engine's
   * UnavailableError when it went away, and `signal`'s reason when that aborts first.
   */
  async accountsOf(image: Pick<ImageInfo, "id">, signal: AbortSignal): Promise<ImageAccounts> {
    return (await this.facts(image, { accounts: true }, signal)).accounts as ImageAccounts;
  }

  /**
   * What `wants` asks for, from one container: the image's policy file and CA bundle (never throws
   * for the files themselves: an unreadable one says why), and its accounts. Throws as
   * {@link accountsOf} does when the accounts are wanted and cannot be read.
   */
  async facts(image: Pick<ImageInfo, "id">, wants: ProbeWants, signal: AbortSignal): Promise<ProbeFacts> {
    const id = image.id;
    const need: ProbeWants = {
      accounts: wants.accounts === true && !this.read.has(id),
      policy: wants.policy === true && !this.policies.has(id),
      caBundle: wants.caBundle === true && !this.caBundles.has(id),
    };
    if (need.accounts || need.policy || need.caBundle) {
      const run = this.probe(id, need);
      this.options.track?.(run);
      // Each facet is remembered apart, so a sandbox wanting only one never waits on another's retry.
      if (need.accounts)
        this.remember(
          this.read,
          id,
          run.then((r) => {
            const accounts = r.accounts;
            if (accounts !== undefined && "failed" in accounts) throw accounts.failed;
            return accounts as ImageAccounts;
          }),
        );
      if (need.policy)
        this.remember(
          this.policies,
          id,
          run.then((r) => r.policy as ImagePolicyFile),
        );
      if (need.caBundle)
        this.remember(
          this.caBundles,
          id,
          run.then((r) => r.caBundle as ImageCaBundle),
        );
    }
    const [accounts, policy, caBundle] = await this.abortable(
      Promise.all([
        wants.accounts ? this.read.get(id) : undefined,
        wants.policy ? this.policies.get(id) : undefined,
        wants.caBundle ? this.caBundles.get(id) : undefined,
      ]),
      signal,
    );
    return {
      ...(accounts === undefined ? {} : { accounts }),
      ...(policy === undefined ? {} : { policy }),
      ...(caBundle === undefined ? {} : { caBundle }),
    };
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

  private async probe(imageId: string, wants: ProbeWants): Promise<ProbeRun> {
    try {
      return await this.run(imageId, wants);
    } catch (error) {
      if (error instanceof UnavailableError || error instanceof AccountProbeError) throw error;
      throw new AccountProbeError((error as Error).message);
    }
  }

  private async run(imageId: string, wants: ProbeWants): Promise<ProbeRun> {
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
      labels: { ...labels, ...probeLabels() },
      ...(has("read-only-root") ? { readOnlyRoot: true } : {}),
      ...(has("cap-add-drop") ? { capDrop: ["ALL"] } : {}),
      ...(has("no-new-privileges") ? { noNewPrivileges: true } : {}),
    };
    const limit = AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
    const copies = runtime.capabilities.has("archive-copy");
    const uncopiable = `the ${runtime.kind} runtime cannot copy files out of a container (archive-copy), so local mode cannot read it`;
    const files = (): Pick<ProbeRun, "policy" | "caBundle"> => ({
      ...(wants.policy ? { policy: { found: false, unreadable: uncopiable } } : {}),
      ...(wants.caBundle ? { caBundle: { found: false, skipped: [uncopiable] } } : {}),
    });
    // No container at all when it could not tell anything.
    if (!wants.accounts && !copies) return files();
    // A closing gateway makes no new probe; one already made is removed before its close ends.
    signal.throwIfAborted();
    const claim = claimProbeName();
    let id: string;
    try {
      id = await this.create({ ...spec, name: claim.name });
    } catch (error) {
      claim.done();
      throw error;
    }
    try {
      signal.throwIfAborted();
      // Read before anything runs: the files as the image has them.
      const read: ProbeRun = copies ? await this.readFiles(id, wants, signal) : files();
      if (!wants.accounts) return read;
      try {
        return { ...read, accounts: await this.catAccounts(id, signal, limit) };
      } catch (error) {
        if (!(error instanceof AccountProbeError)) throw error;
        return { ...read, accounts: { failed: error } };
      }
    } finally {
      await this.remove(id);
      claim.done();
    }
  }

  /**
   * Creates the probe container, by its name. Not cut short by the gateway closing: an engine
   * makes a container it was asked for even when its client stopped waiting for the answer (seen
   * on Docker and Podman alike), and that container would be known to no one. Its own timeout
   * bounds it instead; a create that failed is followed by a removal by name in case the engine made
   * it anyway.
   */
  private async create(spec: ContainerSpec & { name: string }): Promise<string> {
    const { runtime } = this.options;
    const timeout = AbortSignal.timeout(CREATE_TIMEOUT_MS);
    try {
      return (await runtime.createContainer(spec, { signal: timeout })).id;
    } catch (error) {
      await this.remove(spec.name);
      if (!timeout.aborted || (error instanceof OpenShellError && error.code !== "canceled")) throw error;
      throw new UnavailableError(
        `the ${runtime.kind} engine did not create a container of the image within ${CREATE_TIMEOUT_MS / 1000} s; check that it answers and create the sandbox again`,
        { cause: error },
      );
    }
  }

  /** Removes a probe container, bounded in time; one left is removed by the next gateway start. */
  private async remove(idOrName: string): Promise<void> {
    await this.options.runtime
      .removeContainer(idOrName, { force: true, signal: AbortSignal.timeout(REMOVE_TIMEOUT_MS) })
      .catch(() => undefined);
  }

  /** Runs the created container's `cat` and reads the accounts it printed. */
  private async catAccounts(id: string, signal: AbortSignal, limit: AbortSignal): Promise<ImageAccounts> {
    const runtime = this.options.runtime;
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
  }

  /** The wanted files of the created container's image, through the engine's archive API. */
  private async readFiles(id: string, wants: ProbeWants, signal: AbortSignal): Promise<ProbeRun> {
    const runtime = this.options.runtime;
    const policy = wants.policy ? await this.policyFile(id, signal) : undefined;
    const caBundle = wants.caBundle
      ? await findImageCaBundle((path) =>
          readImageFile(runtime, id, path, { maxBytes: MAX_CA_BUNDLE_BYTES, signal }),
        )
      : undefined;
    return { ...(policy === undefined ? {} : { policy }), ...(caBundle === undefined ? {} : { caBundle }) };
  }

  /** The first policy file the created container's image has. */
  private async policyFile(containerId: string, signal: AbortSignal): Promise<ImagePolicyFile> {
    for (const path of IMAGE_POLICY_PATHS) {
      const file = await readImageFile(this.options.runtime, containerId, path, {
        maxBytes: MAX_POLICY_BYTES,
        signal,
      });
      if (file.kind === "file") return { found: true, path, text: file.text };
      if (file.kind === "unreadable") return { found: false, unreadable: file.why };
    }
    return { found: false };
  }
}
