import { clone, create, isMessage, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError, ProtocolError } from "../../errors.js";
import {
  type NetworkPolicyRule,
  NetworkPolicyRuleSchema,
  PolicySource,
  SandboxPolicySchema,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import { DraftPolicyService } from "../policy-advisor/draft-policy-service.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import type { SandboxService } from "../sandboxes/sandbox-service.js";
import { sandboxNameSchema, workspaceSchema } from "../validation/common-schemas.js";
import { GlobalPolicyService } from "./global-policy-service.js";
import {
  maxPolicyBytes,
  type NetworkPolicyRuleInit,
  type PolicyRevisionsOptions,
  type PolicySourceName,
  type PolicyStatusOptions,
  type PolicyUpdateResult,
  policyRevisionsSchema,
  policyStatusSchema,
  type SandboxPolicyConfig,
  type UpdatePolicyInput,
  updatePolicySchema,
} from "./policy-options.js";
import { type PolicyRevisionInfo, toPolicyRevisionInfo } from "./policy-revision.js";
import { PolicySettingsService } from "./policy-settings-service.js";
import { defaultPolicyPollMs, defaultPolicyWaitMs, waitForPolicyLoad } from "./wait-for-policy-load.js";

/** Result of {@link PolicyService.status}. */
export interface PolicyStatusInfo {
  /** The revision asked for (the latest by default). */
  revision: PolicyRevisionInfo;
  /** The revision the sandbox runs now; may lag behind the latest while one is pending. */
  activeVersion: number;
}

/** The one thing the policy service needs from the sandbox service: names to ids. */
export type SandboxIdResolver = Pick<SandboxService, "resolveId">;

const sourceNames: Record<PolicySource, PolicySourceName> = {
  [PolicySource.UNSPECIFIED]: "unspecified",
  [PolicySource.SANDBOX]: "sandbox",
  [PolicySource.GLOBAL]: "global",
};

/**
 * `os.policy`: a sandbox's network policy, which can change while it runs. Filesystem, landlock
 * and process policy are fixed when the sandbox is created; see `os.sandboxes.create({ policy })`.
 * A gateway-wide policy set with {@link PolicyService.global} overrides every sandbox's own; while
 * it is set, {@link PolicyService.update} fails with `FailedPreconditionError`.
 *
 * ```ts
 * await os.policy.update("my-sandbox", {
 *   networkPolicies: { github: { endpoints: [{ host: "api.github.com", port: 443 }], binaries: [{ path: "/usr/bin/curl" }] } },
 *   wait: true,
 * });
 * ```
 */
export class PolicyService {
  /** The policy advisor: rules proposed from denied connections, for you to approve or reject. */
  readonly drafts: DraftPolicyService;
  /** Named settings at sandbox scope and at the gateway-wide `global` scope (SEMANTICS §8). */
  readonly settings: PolicySettingsService;
  /** The gateway-wide policy, which overrides every sandbox's own while it is set. */
  readonly global: GlobalPolicyService;

  /** @internal */
  constructor(
    private readonly calls: GatewayCalls,
    private readonly sandboxes: SandboxIdResolver,
  ) {
    this.drafts = new DraftPolicyService(calls);
    this.settings = new PolicySettingsService(calls, sandboxes);
    this.global = new GlobalPolicyService(calls);
  }

  /**
   * The policy the sandbox is configured with now, with its revision.
   * @throws NotFoundError when there is no such sandbox.
   */
  async get(sandboxName: string, options?: WorkspaceOptions & RequestOptions): Promise<SandboxPolicyConfig> {
    const name = this.checkName(sandboxName);
    this.checkWorkspace(options);
    // GetSandboxConfig is keyed by id; the lookup also gives NOT_FOUND a name instead of a UUID.
    const sandboxId = await this.sandboxes.resolveId(name, options);
    const res = await this.calls.unary(`get policy of sandbox "${name}"`, options, (o) =>
      this.calls.openshell.getSandboxConfig({ sandboxId }, o),
    );
    return {
      policy: res.policy ?? create(SandboxPolicySchema),
      version: res.version,
      policyHash: res.policyHash,
      configRevision: res.configRevision,
      source: sourceNames[res.policySource] ?? "unspecified",
    };
  }

  /**
   * Replaces the sandbox's network policy rules (`network_policies`); the rest of its policy is
   * sent back as it is. Creates a new revision, which the sandbox loads shortly after; with `wait`
   * this resolves only once it did.
   *
   * @throws InvalidArgumentError for a bad rule (its `field` names it) or a policy over 256 KiB.
   * @throws ConflictError when `expectedResourceVersion` no longer matches.
   * @throws FailedPreconditionError while a global policy is set (`os.policy.global`).
   * @throws PolicyLoadError (with `wait`) when the sandbox failed to load the revision.
   * @throws TimeoutError (with `wait`) when it did not load within the wait's `timeoutMs`.
   */
  async update(
    sandboxName: string,
    input: UpdatePolicyInput,
    options?: WorkspaceOptions & RequestOptions,
  ): Promise<PolicyUpdateResult> {
    const name = this.checkName(sandboxName);
    const checked = validate(updatePolicySchema, input, "policy update");
    const workspace = this.checkWorkspace(options);
    // Built before any call so that a bad rule fails without touching the gateway.
    const rules = buildRules(input.networkPolicies);

    const current = await this.get(name, options);
    const policy = clone(SandboxPolicySchema, current.policy);
    policy.networkPolicies = rules;
    const size = toBinary(SandboxPolicySchema, policy).byteLength;
    if (size > maxPolicyBytes) {
      throw new InvalidArgumentError(
        `invalid policy update.networkPolicies: the policy would be ${size} bytes, over the gateway's limit of ${maxPolicyBytes} bytes (256 KiB)`,
        { field: "networkPolicies" },
      );
    }

    const res = await this.calls.unary(`update policy of sandbox "${name}"`, options, (o) =>
      this.calls.openshell.updateConfig(
        { name, workspace, policy, expectedResourceVersion: checked.expectedResourceVersion ?? 0n },
        o,
      ),
    );
    const result: PolicyUpdateResult = {
      version: res.version,
      policyHash: res.policyHash,
      status: "pending",
    };
    if (!checked.wait) return result;

    const waitOptions = checked.wait === true ? {} : checked.wait;
    const loaded = await waitForPolicyLoad(
      (signal) =>
        this.revisionStatus(name, res.version, workspace, { signal, timeoutMs: options?.timeoutMs }),
      {
        sandboxName: name,
        version: res.version,
        timeoutMs: waitOptions.timeoutMs ?? defaultPolicyWaitMs,
        pollIntervalMs: waitOptions.pollIntervalMs ?? defaultPolicyPollMs,
        signal: options?.signal,
      },
    );
    return { ...result, status: loaded.status };
  }

  /**
   * The status of one revision (the latest unless `version` is given) and the version the sandbox
   * runs now.
   * @throws NotFoundError when there is no such sandbox or revision.
   */
  async status(sandboxName: string, options: PolicyStatusOptions = {}): Promise<PolicyStatusInfo> {
    const name = this.checkName(sandboxName);
    const o = validate(policyStatusSchema, options, "status options");
    const workspace = this.checkWorkspace(options);
    const res = await this.calls.unary(`get policy status of sandbox "${name}"`, options, (co) =>
      this.calls.openshell.getSandboxPolicyStatus({ name, version: o.version ?? 0, workspace }, co),
    );
    if (!res.revision)
      throw new ProtocolError(`GetSandboxPolicyStatus: the gateway answered without a revision`);
    return { revision: toPolicyRevisionInfo(res.revision), activeVersion: res.activeVersion };
  }

  /** One page of the sandbox's policy revisions. @throws NotFoundError when there is no such sandbox. */
  async revisions(sandboxName: string, options: PolicyRevisionsOptions = {}): Promise<PolicyRevisionInfo[]> {
    const name = this.checkName(sandboxName);
    const o = validate(policyRevisionsSchema, options, "revisions options");
    const workspace = this.checkWorkspace(options);
    const res = await this.calls.unary(`list policy revisions of sandbox "${name}"`, options, (co) =>
      this.calls.openshell.listSandboxPolicies(
        { name, limit: o.limit ?? 0, offset: o.offset ?? 0, workspace },
        co,
      ),
    );
    return res.revisions.map(toPolicyRevisionInfo);
  }

  private async revisionStatus(
    name: string,
    version: number,
    workspace: string,
    options: RequestOptions,
  ): Promise<PolicyRevisionInfo> {
    const res = await this.calls.unary(
      `get status of policy version ${version} of sandbox "${name}"`,
      options,
      (o) => this.calls.openshell.getSandboxPolicyStatus({ name, version, workspace }, o),
    );
    if (!res.revision)
      throw new ProtocolError(`GetSandboxPolicyStatus: the gateway answered without a revision`);
    return toPolicyRevisionInfo(res.revision);
  }

  private checkName(sandboxName: string): string {
    return validate(sandboxNameSchema, sandboxName, "sandbox name");
  }

  private checkWorkspace(options?: WorkspaceOptions): string {
    return this.calls.ws({ workspace: validate(workspaceSchema, options?.workspace, "workspace") });
  }
}

/** The rules as messages, each named after its key unless it names itself. */
function buildRules(rules: Record<string, NetworkPolicyRuleInit>): Record<string, NetworkPolicyRule> {
  const out: Record<string, NetworkPolicyRule> = {};
  for (const [key, init] of Object.entries(rules)) {
    let rule: NetworkPolicyRule;
    try {
      // A message passed in is copied, so naming it below does not change the caller's object.
      rule = isMessage(init, NetworkPolicyRuleSchema)
        ? clone(NetworkPolicyRuleSchema, init)
        : create(NetworkPolicyRuleSchema, init);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new InvalidArgumentError(`invalid policy update.networkPolicies.${key}: ${reason}`, {
        field: `networkPolicies.${key}`,
        cause: err,
      });
    }
    if (!rule.name) rule.name = key;
    out[key] = rule;
  }
  return out;
}
