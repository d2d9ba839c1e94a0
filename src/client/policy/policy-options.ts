import type { MessageInitShape } from "@bufbuild/protobuf";
import { z } from "zod";
import { NetworkPolicyRuleSchema, type SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { messageInitIssue } from "../../validation/message-init.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { objectNameSchema, uint32Schema } from "../validation/common-schemas.js";
import type { PolicyRevisionStatus } from "./policy-revision.js";

/**
 * One network policy rule as you write it: which hosts and ports (`endpoints`) which programs
 * (`binaries`) may reach. Plain objects work (`{ endpoints: [{ host: "api.github.com", port: 443 }] }`);
 * fields left out take their defaults. This is the init shape of the generated `NetworkPolicyRule`.
 */
export type NetworkPolicyRuleInit = MessageInitShape<typeof NetworkPolicyRuleSchema>;

/** Where the sandbox's effective policy comes from. */
export type PolicySourceName = "sandbox" | "global" | "unspecified";

/** Result of {@link PolicyService.get}: the policy the sandbox is configured with now. */
export interface SandboxPolicyConfig {
  /** The full policy (the generated message type). Empty when the gateway has none for the sandbox. */
  policy: SandboxPolicy;
  /** The policy's revision number. */
  version: number;
  policyHash: string;
  /** Revision of the sandbox's whole configuration (policy and settings), a uint64 kept exact. */
  configRevision: bigint;
  /** `global` when a gateway-wide policy overrides the sandbox's own. */
  source: PolicySourceName;
}

/** How {@link PolicyService.update} waits for the sandbox to load the new policy. */
export interface PolicyWaitOptions {
  /** Give up with `TimeoutError` after this long. Default 60 s. */
  timeoutMs?: number;
  /** Time between status checks. Default 500 ms. */
  pollIntervalMs?: number;
}

/** Input of {@link PolicyService.update}. */
export interface UpdatePolicyInput {
  /**
   * The sandbox's new network policy rules by name. They **replace** the current
   * `network_policies` as a whole (a rule not listed here is removed); the rest of the policy
   * (filesystem, landlock, process), which cannot change after create, is sent back unchanged. To
   * add one rule, read the current ones with {@link PolicyService.get} and spread them in. A rule
   * without a `name` gets its key as name.
   */
  networkPolicies: Record<string, NetworkPolicyRuleInit>;
  /**
   * Sent as UpdateConfig's `expected_resource_version`: the gateway fails the update with
   * `ConflictError` when the object changed since you read this version. Omit (or `0n`) to skip
   * the check and overwrite whatever is current.
   */
  expectedResourceVersion?: bigint;
  /**
   * Wait until the sandbox loaded the new revision: `true` with the defaults, or the wait's own
   * deadline and poll interval. Without it the update resolves as soon as the gateway stored the
   * revision, with status `pending`.
   */
  wait?: boolean | PolicyWaitOptions;
}

/** Result of {@link PolicyService.update}. */
export interface PolicyUpdateResult {
  /** The revision the update created. */
  version: number;
  policyHash: string;
  /**
   * `pending` without `wait`; with it `loaded`, or `superseded` when a newer update replaced this
   * one before the sandbox loaded it (a failed load throws `PolicyLoadError`).
   */
  status: PolicyRevisionStatus;
}

/** Options of {@link PolicyService.status}. */
export interface PolicyStatusOptions extends WorkspaceOptions, RequestOptions {
  /** The revision to report; omitted or 0 means the latest. */
  version?: number;
}

/** Options of {@link PolicyService.revisions}. */
export interface PolicyRevisionsOptions extends WorkspaceOptions, RequestOptions {
  /** Page size; omitted or 0 means the gateway's default of 50. */
  limit?: number;
  offset?: number;
}

/** SEMANTICS: a policy may be at most 256 KiB. */
export const maxPolicyBytes = 256 * 1024;

const endpointSchema = z.looseObject({
  host: z.string().max(253, "must be at most 253 characters").optional(),
  port: z.number().int().min(0).max(65_535, "must be a TCP port (0-65535)").optional(),
  ports: z.array(z.number().int().min(1).max(65_535, "must be a TCP port (1-65535)")).optional(),
  protocol: z.enum(["", "tcp", "rest", "websocket", "graphql", "sql", "json-rpc", "mcp"]).optional(),
  // "skip" is a raw tunnel without TLS inspection (SEMANTICS.md section 15).
  tls: z.enum(["", "terminate", "passthrough", "skip"]).optional(),
  enforcement: z.enum(["", "enforce", "audit"]).optional(),
  access: z.enum(["", "read-only", "read-write", "full"]).optional(),
  allowedIps: z.array(z.string().min(1, "must not be empty")).optional(),
});

const binarySchema = z.looseObject({
  path: z.string().min(1, "must not be empty"),
});

// Loose here, for the rest of NetworkEndpoint (rules, deny_rules, mcp, ...), which the check
// against the message itself covers: types, nesting and misspelt fields, by path.
const ruleSchema = z
  .looseObject({
    name: z.string().optional(),
    endpoints: z.array(endpointSchema).optional(),
    binaries: z.array(binarySchema).optional(),
  })
  .superRefine((rule, ctx) => {
    const issue = messageInitIssue(NetworkPolicyRuleSchema, rule);
    if (issue) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path, input: rule });
  });

export const updatePolicySchema = z.object({
  networkPolicies: z.record(objectNameSchema, ruleSchema, {
    error: "is required (a map of rule name to rule)",
  }),
  expectedResourceVersion: z
    .bigint()
    .min(0n, "must not be negative")
    .max(18_446_744_073_709_551_615n, "must fit in a uint64")
    .optional(),
  wait: z
    .union([
      z.boolean(),
      z.object({
        timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
        pollIntervalMs: z.number().int().positive().max(600_000).optional(),
      }),
    ])
    .optional(),
});

// Loose: workspace, signal and timeoutMs are checked where they are used; an object is required.
export const policyStatusSchema = z.looseObject({ version: uint32Schema.optional() });

export const policyRevisionsSchema = z.looseObject({
  limit: uint32Schema.optional(),
  offset: uint32Schema.optional(),
});
