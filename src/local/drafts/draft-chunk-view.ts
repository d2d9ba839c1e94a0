import { createHash } from "node:crypto";
import { clone, create, fromJson, type JsonValue, toBinary, toJson } from "@bufbuild/protobuf";
import {
  type NetworkPolicyRule,
  NetworkPolicyRuleSchema,
  type SandboxPolicy,
  SandboxPolicySchema,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { type PolicyChunk, PolicyChunkSchema } from "../../gen/openshell/v1/policy_advisor_pb.js";
import { policyHash } from "../protocol/sandbox-policy.js";
import { draftRationale, proposedRule } from "./denied-traffic.js";
import type { StoredDraftChunk } from "./draft-store.js";

/** The rule a chunk proposes: its edited rule, or the one its denied traffic asks for. */
export function ruleOf(chunk: StoredDraftChunk): NetworkPolicyRule {
  return chunk.rule === undefined
    ? proposedRule(chunk.traffic)
    : fromJson(NetworkPolicyRuleSchema, chunk.rule, { ignoreUnknownFields: true });
}

/** The rule as a chunk stores it (protobuf JSON). */
export function storedRule(rule: NetworkPolicyRule): JsonValue {
  return toJson(NetworkPolicyRuleSchema, rule);
}

/**
 * The review token binds what a reviewer saw: the chunk's rule and status, and the policy it would
 * change (by hash). Any change to either (an edit, a widened proposal, another approval) makes
 * earlier tokens stale; a growing hit count does not.
 */
export function reviewToken(chunk: StoredDraftChunk, currentPolicyHash: string): string {
  return createHash("sha256")
    .update(`${chunk.id}\0${chunk.status}\0${chunk.ruleName}\0${currentPolicyHash}\0`)
    .update(toBinary(NetworkPolicyRuleSchema, ruleOf(chunk)))
    .digest("hex")
    .slice(0, 32);
}

const endpointKey = (e: { host: string; port: number; ports: readonly number[] }) =>
  `${e.host.toLowerCase()}:${[e.port, ...e.ports].filter((p) => p !== 0).join(",")}`;

/**
 * `policy` with the chunk's rule added under its name: a new rule, or its endpoints put into the
 * rule of that name, each replacing an endpoint there for the same host and ports (a later chunk
 * for a host and port proposes what earlier ones did and more). Returns a new policy.
 */
export function withChunkRule(policy: SandboxPolicy, chunk: StoredDraftChunk): SandboxPolicy {
  const next = clone(SandboxPolicySchema, policy);
  const proposed = ruleOf(chunk);
  const existing = next.networkPolicies[chunk.ruleName];
  if (existing === undefined) {
    next.networkPolicies[chunk.ruleName] = create(NetworkPolicyRuleSchema, {
      ...proposed,
      name: chunk.ruleName,
    });
    return next;
  }
  const replaced = new Set(proposed.endpoints.map(endpointKey));
  existing.endpoints = [
    ...existing.endpoints.filter((e) => !replaced.has(endpointKey(e))),
    ...proposed.endpoints,
  ];
  return next;
}

/**
 * `policy` without what the chunk added (for Undo and for rejecting an approved chunk): its
 * endpoints come out of the rule of its name, and a rule left with no endpoint goes. There are no
 * binaries to take out: local mode's chunks name none.
 */
export function withoutChunkRule(policy: SandboxPolicy, chunk: StoredDraftChunk): SandboxPolicy {
  const next = clone(SandboxPolicySchema, policy);
  const rule = next.networkPolicies[chunk.ruleName];
  if (rule === undefined) return next;
  const added = new Set(ruleOf(chunk).endpoints.map(endpointKey));
  rule.endpoints = rule.endpoints.filter((e) => !added.has(endpointKey(e)));
  if (rule.endpoints.length === 0) delete next.networkPolicies[chunk.ruleName];
  return next;
}

/** A chunk as GetDraftPolicy returns it, reviewed against the sandbox's current policy. */
export function toPolicyChunk(
  chunk: StoredDraftChunk,
  current: { policy: SandboxPolicy; hash: string },
): PolicyChunk {
  const candidate = withChunkRule(current.policy, chunk);
  return create(PolicyChunkSchema, {
    id: chunk.id,
    status: chunk.status,
    ruleName: chunk.ruleName,
    proposedRule: ruleOf(chunk),
    rationale: draftRationale(chunk.traffic, chunk.reason),
    securityNotes: "",
    // Mechanistic: the rule allows exactly what was refused, no guess involved.
    confidence: 1,
    createdAtMs: BigInt(chunk.createdAtMs),
    decidedAtMs: BigInt(chunk.decidedAtMs),
    hitCount: chunk.hitCount,
    firstSeenMs: BigInt(chunk.firstSeenMs),
    lastSeenMs: BigInt(chunk.lastSeenMs),
    // Local mode's proxy cannot tell which process connected.
    binary: "",
    rejectionReason: chunk.rejectionReason,
    reviewToken: reviewToken(chunk, current.hash),
    currentEffectivePolicyHash: current.hash,
    candidateEffectivePolicyHash: policyHash(candidate),
    currentEffectivePolicy: current.policy,
    candidateEffectivePolicy: candidate,
  });
}
