import { clone, create, isMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { z } from "zod";
import { InvalidArgumentError, NotFoundError, ProtocolError } from "../../errors.js";
import { type SandboxPolicy, SandboxPolicySchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { messageInitIssue } from "../../validation/message-init.js";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions } from "../request-options.js";
import { objectNameSchema, uint32Schema } from "../validation/common-schemas.js";
import { maxPolicyBytes } from "./policy-options.js";
import { type PolicyRevisionInfo, toPolicyRevisionInfo } from "./policy-revision.js";

/**
 * A whole sandbox policy as you write it: the init shape of the generated `SandboxPolicy`
 * (`{ networkPolicies: { github: { endpoints: [...], binaries: [...] } }, filesystem, ... }`).
 * A network rule without a `name` gets its key as name.
 */
export type SandboxPolicyInit = MessageInitShape<typeof SandboxPolicySchema>;

/** Result of {@link GlobalPolicyService.set}. */
export interface GlobalPolicyUpdateResult {
  /** The global policy's revision: a new one, or the current one when the policy is unchanged. */
  version: number;
  policyHash: string;
  /** The gateway-wide settings revision after the change (a uint64, kept exact). */
  settingsRevision: bigint;
}

/** The global policy in force: its latest revision, with the policy itself. */
export type GlobalPolicyInfo = PolicyRevisionInfo & { policy: SandboxPolicy };

/** Options of {@link GlobalPolicyService.status}. */
export interface GlobalPolicyStatusOptions extends RequestOptions {
  /** The revision to report; omitted or 0 means the latest. */
  version?: number;
}

/** Options of {@link GlobalPolicyService.revisions}. */
export interface GlobalPolicyRevisionsOptions extends RequestOptions {
  /** Page size; omitted or 0 means the gateway's default of 50. */
  limit?: number;
  offset?: number;
}

/** The reserved global setting the gateway keeps the global policy under; deleting it deletes the policy. */
const policySettingKey = "policy";

// Loose: the rest of SandboxPolicy is checked against the message itself, by path.
const policyInitSchema = z
  .looseObject({ networkPolicies: z.record(objectNameSchema, z.unknown()).optional() })
  .superRefine((policy, ctx) => {
    const issue = messageInitIssue(SandboxPolicySchema, policy);
    if (issue) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path, input: policy });
  });
const statusSchema = z.looseObject({ version: uint32Schema.optional() });
const revisionsSchema = z.looseObject({ limit: uint32Schema.optional(), offset: uint32Schema.optional() });

/**
 * `os.policy.global`: the gateway-wide policy. While one is set it is every sandbox's effective
 * policy (`os.policy.get()` reports `source: "global"`), the gateway refuses per-sandbox policy
 * changes and draft approvals (FailedPreconditionError), and deleting it gives each sandbox its own
 * policy back. Every call needs a platform admin.
 *
 * ```ts
 * await os.policy.global.set({ networkPolicies: { pypi: { endpoints: [{ host: "pypi.org", port: 443 }] } } });
 * const current = await os.policy.global.get(); // undefined when none is set
 * await os.policy.global.delete();
 * ```
 */
export class GlobalPolicyService {
  /** @internal */
  constructor(private readonly calls: GatewayCalls) {}

  /**
   * Sets the global policy, replacing the one before; the gateway marks it loaded at once. The same
   * policy again makes no new revision.
   * @throws InvalidArgumentError for a malformed policy (its `field` names it) or one over 256 KiB.
   * @throws PermissionDeniedError when you are not a platform admin.
   */
  async set(policy: SandboxPolicyInit, options?: RequestOptions): Promise<GlobalPolicyUpdateResult> {
    validate(policyInitSchema, policy, "global policy", { field: "policy" });
    // A message passed in is copied, so naming its rules below does not change the caller's object.
    const message = isMessage(policy, SandboxPolicySchema)
      ? clone(SandboxPolicySchema, policy)
      : create(SandboxPolicySchema, policy);
    for (const [key, rule] of Object.entries(message.networkPolicies)) if (!rule.name) rule.name = key;
    const size = toBinary(SandboxPolicySchema, message).byteLength;
    if (size > maxPolicyBytes) {
      throw new InvalidArgumentError(
        `invalid policy: the policy is ${size} bytes, over the gateway's limit of ${maxPolicyBytes} bytes (256 KiB)`,
        { field: "policy" },
      );
    }
    const res = await this.calls.unary("set the global policy", options, (o) =>
      this.calls.openshell.updateConfig({ global: true, policy: message }, o),
    );
    return { version: res.version, policyHash: res.policyHash, settingsRevision: res.settingsRevision };
  }

  /**
   * The global policy in force, with its revision; undefined when none is set.
   * @throws PermissionDeniedError when you are not a platform admin.
   */
  async get(options?: RequestOptions): Promise<GlobalPolicyInfo | undefined> {
    let latest: PolicyRevisionInfo;
    try {
      latest = await this.status(options);
    } catch (err) {
      // The gateway has no revision at all until a global policy is first set.
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    // A deleted global policy leaves its revisions behind, every one superseded.
    if (latest.status !== "loaded" || !latest.policy) return undefined;
    return { ...latest, policy: latest.policy };
  }

  /**
   * Deletes the global policy; each sandbox's own policy applies again. Resolves `false` when none
   * was set. @throws PermissionDeniedError when you are not a platform admin.
   */
  async delete(options?: RequestOptions): Promise<boolean> {
    const res = await this.calls.unary("delete the global policy", options, (o) =>
      this.calls.openshell.updateConfig(
        { global: true, settingKey: policySettingKey, deleteSetting: true },
        o,
      ),
    );
    return res.deleted;
  }

  /**
   * One revision of the global policy (the latest unless `version` is given), with its policy.
   * @throws NotFoundError when there is no such revision (or none at all: no global policy was ever set).
   */
  async status(options: GlobalPolicyStatusOptions = {}): Promise<PolicyRevisionInfo> {
    const o = validate(statusSchema, options, "status options");
    const version = o.version ?? 0;
    const what = version === 0 ? "the global policy's status" : `version ${version} of the global policy`;
    const res = await this.calls.unary(`get ${what}`, options, (co) =>
      this.calls.openshell.getSandboxPolicyStatus({ global: true, version }, co),
    );
    if (!res.revision)
      throw new ProtocolError("GetSandboxPolicyStatus: the gateway answered without a revision");
    return toPolicyRevisionInfo(res.revision);
  }

  /** One page of the global policy's revisions, newest first (without their policies). */
  async revisions(options: GlobalPolicyRevisionsOptions = {}): Promise<PolicyRevisionInfo[]> {
    const o = validate(revisionsSchema, options, "revisions options");
    const res = await this.calls.unary("list the global policy's revisions", options, (co) =>
      this.calls.openshell.listSandboxPolicies(
        { global: true, limit: o.limit ?? 0, offset: o.offset ?? 0 },
        co,
      ),
    );
    return res.revisions.map(toPolicyRevisionInfo);
  }
}
