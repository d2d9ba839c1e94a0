import { setTimeout as sleep } from "node:timers/promises";
import { clone } from "@bufbuild/protobuf";
import { NotFoundError } from "../../errors.js";
import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { type SandboxSpec, SandboxSpecSchema } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerSpec, MountSpec } from "../../runtime/container-spec.js";
import type { ImageInfo } from "../../runtime/image-types.js";
import { checkSandboxCredentialBindings } from "../credentials/sandbox-binding-checks.js";
import type { SandboxTrustBundles } from "../network/sandbox-trust-bundles.js";
import { needsImageCaBundle, trustMountFor } from "../network/sandbox-trust-mount.js";
import { AccountProbeError, ImageAccountProbe, type ImagePolicyFile } from "./image-account-probe.js";
import type { ImageAccounts } from "./image-accounts.js";
import { chooseImagePolicy, storeImagePolicy } from "./image-policy.js";
import type { LiveSandbox } from "./live-sandbox.js";
import { type ProvisionAttempt, type ProvisionStep, provisionFailure } from "./provision-failure.js";
import type { SandboxIdentity } from "./sandbox-container.js";
import {
  type SandboxContainer,
  type SandboxContainerOptions,
  sandboxContainer,
} from "./sandbox-container-spec.js";
import type { SandboxKeeper } from "./sandbox-keeper.js";
import { removeSandboxContainers } from "./sandbox-removal.js";
import { type ImageConfig, ImagePolicyRefusal, needsImageAccounts, unresolvedUser } from "./static-policy.js";

/** What every sandbox container gets, and the trust folders it mounts by its image. */
export interface ProvisioningOptions extends SandboxContainerOptions {
  /**
   * The per-image folders holding the image's CA bundle plus the egress CA, one of which every
   * container mounts at /etc/openshell-tls (the egress variables name its files); absent when
   * sandboxes do not reach the proxy.
   */
  trustBundles?: SandboxTrustBundles;
}

/**
 * Brings sandboxes up: the image (pulled when the runtime lacks it), the container, its start. A step
 * that fails leaves the sandbox ERROR with a failure that says which step and what to do about it.
 */
export class SandboxProvisioner {
  /** Provisioning in flight per sandbox: a delete waits it out before it looks for containers. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /**
   * Sandboxes whose container create failed without a definite answer: the engine may have made the
   * container and died (or lost the connection) before saying so. Such a container is recorded
   * nowhere; it is removed as soon as the engine answers again, and before the sandbox's next create.
   */
  private readonly unrecorded = new Set<string>();

  /** Who an image's users are, read once per image. */
  private readonly accounts: ImageAccountProbe;

  constructor(
    private readonly keeper: SandboxKeeper,
    private readonly containers: ProvisioningOptions,
    /** The provider credential placeholders the sandbox's main process gets (recorded as given). */
    private readonly providerEnv?: (sandbox: LiveSandbox) => Record<string, string>,
  ) {
    this.accounts = new ImageAccountProbe({
      runtime: keeper.runtime,
      network: containers.network,
      labels: keeper.gatewayLabels,
      shutdown: keeper.shutdown,
      // A close waits for each probe's container to be removed: the sandboxes stop waiting at once.
      track: (run) => keeper.background(run),
    });
  }

  /**
   * The sandbox's container as far as it is known before the image has been looked at: throws for a
   * spec local mode cannot run (no image, a policy it cannot enforce). The policy is checked here and
   * applied once provisioning has read the image's user and workdir.
   */
  containerSpec(spec: SandboxSpec, sandbox: SandboxIdentity): ContainerSpec {
    return this.container(spec, sandbox).spec;
  }

  private container(spec: SandboxSpec, sandbox: SandboxIdentity, image?: ImageConfig): SandboxContainer {
    return sandboxContainer(spec, sandbox, this.containers, this.keeper.runtime, image);
  }

  /** The image's config, pulled first when the runtime lacks it. */
  private async image(ref: string, sandboxId: string, signal: AbortSignal): Promise<ImageInfo> {
    const runtime = this.keeper.runtime;
    try {
      return await runtime.inspectImage(ref, { signal });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    this.keeper.gatewayLog(sandboxId, "INFO", `pulling image ${ref}`);
    return runtime.pullImage(ref, { signal });
  }

  /**
   * The image's config with its accounts when the sandbox's user must be looked up in them, so the
   * container gets the numeric UID and GID that were checked (never root) rather than a name the
   * engine would resolve on its own. A sandbox created without a policy first takes the image's own
   * policy file, when it has a usable one (see image-policy.ts), as its spec's and revision 1's.
   */
  private async imageConfig(
    sandbox: LiveSandbox,
    imageRef: string,
    image: ImageInfo,
    signal: AbortSignal,
  ): Promise<ImageConfig> {
    const read =
      sandbox.spec.policy === undefined ? await this.adoptImagePolicy(sandbox, imageRef, image, signal) : {};
    const policy = sandbox.spec.policy;
    if (!needsImageAccounts(policy, image)) return image;
    if (read.accounts !== undefined) return { ...image, accounts: read.accounts };
    try {
      return { ...image, accounts: await this.accounts.accountsOf(image, signal) };
    } catch (error) {
      if (!(error instanceof AccountProbeError)) throw error;
      throw unresolvedUser(policy, image, imageRef, error.message);
    }
  }

  /**
   * Reads the image's policy file (with its accounts when the image's own user needs them, from the
   * same probe container) and, when it is usable, makes it the sandbox's policy. Each step is said
   * on the sandbox's gateway log; a file that is not used leaves the default, with a WARN.
   */
  private async adoptImagePolicy(
    sandbox: LiveSandbox,
    imageRef: string,
    image: ImageInfo,
    signal: AbortSignal,
  ): Promise<{ accounts?: ImageAccounts }> {
    const keeper = this.keeper;
    let file: ImagePolicyFile;
    let accounts: ImageAccounts | undefined;
    try {
      const wants = { policy: true, accounts: needsImageAccounts(undefined, image) };
      const facts = await this.accounts.facts(image, wants, signal);
      file = facts.policy as ImagePolicyFile;
      accounts = facts.accounts;
    } catch (error) {
      if (!(error instanceof AccountProbeError)) throw error;
      // The accounts failed (said later, if they are needed): the file is read on its own.
      file = (await this.accounts.facts(image, { policy: true, accounts: false }, signal))
        .policy as ImagePolicyFile;
    }
    const choice = chooseImagePolicy(file, imageRef, keeper.runtime);
    for (const line of choice.log) keeper.gatewayLog(sandbox.id, line.level, line.message);
    if (choice.policy !== undefined && file.found) {
      refuseImageBindings(keeper.store, sandbox, choice.policy, `${file.path} of image ${imageRef}`);
      if (!storeImagePolicy(keeper.store, sandbox.id, choice.policy, file.path)) {
        keeper.gatewayLog(
          sandbox.id,
          "INFO",
          `${file.path} of image ${imageRef} is not used after all: the sandbox was given a policy meanwhile`,
        );
        return { ...(accounts === undefined ? {} : { accounts }) };
      }
      const spec = clone(SandboxSpecSchema, sandbox.spec);
      spec.policy = choice.policy;
      sandbox.spec = spec;
      keeper.persist(sandbox);
    }
    return { ...(accounts === undefined ? {} : { accounts }) };
  }

  /**
   * Starts one probe container reading all the image facts this sandbox will ask for (its policy
   * file, its accounts, its CA bundle), so the calls that follow find them read rather than each
   * making a container. Failures are left to those calls, which say them.
   */
  private prefetchImageFacts(
    sandbox: LiveSandbox,
    image: ImageInfo,
    caBundle: boolean,
    signal: AbortSignal,
  ): void {
    const policy = sandbox.spec.policy;
    const wants = { policy: policy === undefined, accounts: needsImageAccounts(policy, image), caBundle };
    if (!wants.policy && !wants.accounts && !wants.caBundle) return;
    this.accounts.facts(image, wants, signal).catch(() => undefined);
  }

  /** The trust folder the sandbox mounts at /etc/openshell-tls; none when sandboxes have no egress CA. */
  private async trustMount(
    sandbox: LiveSandbox,
    imageRef: string,
    image: ImageInfo,
    signal: AbortSignal,
  ): Promise<MountSpec | undefined> {
    const bundles = this.containers.trustBundles;
    if (bundles === undefined) return undefined;
    const warn = (message: string) => this.keeper.gatewayLog(sandbox.id, "WARN", message);
    return trustMountFor(
      { bundles, runtime: this.keeper.runtime, probe: this.accounts, warn },
      imageRef,
      image,
      signal,
    );
  }

  /**
   * The container's environment with the provider placeholders in: over the template's and the
   * spec's variables (upstream's supervisor sets them over the inherited environment), under the
   * gateway's own (proxy and CA variables win, as upstream sets those last).
   */
  private withProviderEnv(spec: ContainerSpec, sandbox: LiveSandbox): ContainerSpec {
    const providerEnv = this.providerEnv?.(sandbox) ?? {};
    if (Object.keys(providerEnv).length === 0) return spec;
    return { ...spec, env: { ...spec.env, ...providerEnv, ...this.containers.egressEnv } };
  }

  /** Settles when the sandbox's provisioning in flight has ended; undefined when none is. */
  settled(sandboxId: string): Promise<void> | undefined {
    return this.inFlight.get(sandboxId);
  }

  /**
   * Image, container, start: in the background, each step checked against a delete or close racing
   * it. A sandbox whose container exists already (the gateway stopped before starting it) only starts.
   */
  provision(sandbox: LiveSandbox): void {
    const keeper = this.keeper;
    const controller = keeper.beginWork(sandbox);
    const signal = controller.signal;
    const run = (async () => {
      // The image's name; its user and workdir are known once it is here.
      let spec = this.containerSpec(sandbox.spec, sandbox);
      let step: ProvisionStep = "image";
      try {
        let containerId = sandbox.record.containerId;
        if (containerId === undefined) {
          const image = await this.image(spec.image, sandbox.id, signal);
          signal.throwIfAborted();
          step = "user";
          const bundles = this.containers.trustBundles;
          const readBundle =
            bundles !== undefined && (await needsImageCaBundle({ bundles, runtime: keeper.runtime }, image));
          this.prefetchImageFacts(sandbox, image, readBundle, signal);
          const config = await this.imageConfig(sandbox, spec.image, image, signal);
          signal.throwIfAborted();
          const trust = await this.trustMount(sandbox, spec.image, image, signal);
          signal.throwIfAborted();
          const container = this.container(sandbox.spec, sandbox, config);
          spec = this.withProviderEnv(withMount(container.spec, trust), sandbox);
          const labels = { ...spec.labels, ...keeper.gatewayLabels };
          step = "create";
          if (this.unrecorded.has(sandbox.id)) await this.removeUnrecorded(sandbox);
          // Not aborted midway: an engine may still make a container after its client gave up on the
          // request, and such a container would be recorded nowhere. Once it is recorded, a delete
          // or a close with removeSandboxes finds it.
          containerId = (await keeper.runtime.createContainer({ ...spec, labels })).id;
          const created = containerId;
          keeper.change(sandbox, (r) => ({ ...r, containerId: created }));
          for (const gap of container.notEnforced) keeper.gatewayLog(sandbox.id, "WARN", gap);
          signal.throwIfAborted();
        }
        step = "start";
        await keeper.runtime.startContainer(containerId);
        keeper.gatewayLog(
          sandbox.id,
          "INFO",
          `container ${containerId.slice(0, 12)} started from ${spec.image}`,
        );
        keeper.followLogs(sandbox);
        await keeper.refresh(sandbox);
      } catch (error) {
        // Whatever the error, look: one list call per failed create is cheap, and telling an engine's
        // definite "no" from a lost answer by the error alone is guesswork. One retry loop a sandbox.
        if (step === "create" && !this.unrecorded.has(sandbox.id)) {
          this.unrecorded.add(sandbox.id);
          keeper.background(this.removeUnrecordedWhenBack(sandbox));
        }
        if (signal.aborted) return;
        this.fail(sandbox, error, { step, image: spec.image, command: sandbox.spec.command });
        await keeper.refresh(sandbox).catch(() => undefined);
      } finally {
        keeper.endWork(sandbox, controller);
      }
    })();
    const tracked = run.finally(() => {
      if (this.inFlight.get(sandbox.id) === tracked) this.inFlight.delete(sandbox.id);
    });
    this.inFlight.set(sandbox.id, tracked);
    keeper.background(tracked);
  }

  /** Retries removeUnrecorded until it has been done, the sandbox is being deleted or the gateway closes. */
  private async removeUnrecordedWhenBack(sandbox: LiveSandbox): Promise<void> {
    const closing = this.keeper.shutdown;
    for (let attempt = 0; this.unrecorded.has(sandbox.id); attempt++) {
      if (closing.aborted) return;
      if (sandbox.record.intent === "delete") {
        // A delete removes every container carrying the sandbox's id itself.
        this.unrecorded.delete(sandbox.id);
        return;
      }
      try {
        await this.removeUnrecorded(sandbox);
      } catch {
        await sleep(Math.min(5000, 250 * 2 ** attempt), undefined, { signal: closing }).catch(
          () => undefined,
        );
      }
    }
  }

  /** Removes the containers carrying the sandbox's id that its record does not hold. */
  private async removeUnrecorded(sandbox: LiveSandbox): Promise<void> {
    await removeSandboxContainers(this.keeper.runtime, sandbox.id, {
      keep: sandbox.record.containerId,
      // Done meanwhile (by the retry or the next provisioning): what is listed now may be a new
      // create's container, not the lost one.
      stillWanted: () => this.unrecorded.has(sandbox.id),
    });
    this.unrecorded.delete(sandbox.id);
  }

  /**
   * Records why bringing the sandbox up failed, on its log and in its record (the phase derived from
   * it is ERROR); the caller refreshes. The failure stays until the sandbox is started again.
   */
  fail(sandbox: LiveSandbox, error: unknown, attempt: ProvisionAttempt): void {
    const failure = provisionFailure(error, attempt);
    this.keeper.gatewayLog(sandbox.id, "ERROR", failure.message);
    this.keeper.change(sandbox, (r) => ({ ...r, failure }));
  }
}

/** The spec with `mount` after its own mounts. */
function withMount(spec: ContainerSpec, mount: MountSpec | undefined): ContainerSpec {
  return mount === undefined ? spec : { ...spec, mounts: [...(spec.mounts ?? []), mount] };
}

/**
 * Upstream's supervisor sends the image's policy to the gateway, which checks its credential
 * bindings as at UpdateConfig; refused, the supervisor stops and the sandbox never starts
 * (openshell-sandbox `lib.rs`, the discovered policy's sync). Local mode fails provisioning likewise.
 */
function refuseImageBindings(
  store: SandboxKeeper["store"],
  sandbox: LiveSandbox,
  policy: SandboxPolicy,
  what: string,
): void {
  try {
    checkSandboxCredentialBindings(store, sandbox.workspace, sandbox.spec.providers, policy, "policy");
  } catch (error) {
    throw new ImagePolicyRefusal(
      "PolicyNotEnforceable",
      `${what} cannot be the sandbox's policy: ${(error as Error).message}; fix the file, attach the provider it names, or create the sandbox with a policy of its own`,
    );
  }
}
