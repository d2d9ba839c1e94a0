import { equals, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { SandboxPolicySchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import { SandboxPolicyRevisionSchema } from "../../gen/openshell/v1/openshell_pb.js";
import { compileSandboxPolicy } from "../egress/binary-rules.js";
import { emptyPolicy, policyHash } from "../protocol/sandbox-policy.js";
import type { LocalStateStore } from "../state/state-store.js";
import type { ImagePolicyFile } from "./image-account-probe.js";
import { parseImagePolicy } from "./image-policy-file.js";
import { type PolicyRuntime, staticEnforcement } from "./static-policy.js";

/** What a sandbox created without a policy runs under, and the gateway log lines that say so. */
export interface ImagePolicyChoice {
  /** The image's policy; undefined for the default (no network). */
  policy?: SandboxPolicy;
  log: { level: "INFO" | "WARN"; message: string }[];
}

/**
 * The policy of a sandbox created without one, in upstream's order: the image's
 * `/etc/openshell/policy.yaml`, else its `/etc/navigator/policy.yaml`, else the default. A file with
 * unknown keys, that fails upstream's schema, or that local mode could not enforce (the checks a
 * create's policy gets) is not used: the default is, with a WARN naming the file and the problem.
 */
export function chooseImagePolicy(
  file: ImagePolicyFile,
  imageRef: string,
  runtime: PolicyRuntime,
): ImagePolicyChoice {
  const fallback = "the sandbox runs with the default policy (no network access)";
  if (!file.found) {
    if (!("unreadable" in file)) return { log: [] };
    return {
      log: [
        {
          level: "WARN",
          message: `the policy file of image ${imageRef} was not read: ${file.unreadable}; ${fallback}`,
        },
      ],
    };
  }
  const ignored = (problem: string): ImagePolicyChoice => ({
    log: [{ level: "WARN", message: `image ${imageRef}: ${file.path} is not used: ${problem}; ${fallback}` }],
  });
  const parsed = parseImagePolicy(file.text);
  if (!parsed.ok) return ignored(parsed.problem);
  const middlewares = Object.keys(parsed.policy.networkMiddlewares);
  if (middlewares.length > 0) {
    return ignored(
      `local mode cannot enforce it: network_middlewares (${middlewares.join(", ")}) need the gateway's middleware services, which local mode does not run`,
    );
  }
  try {
    staticEnforcement(parsed.policy, { runtime });
    compileSandboxPolicy(parsed.policy.networkPolicies);
  } catch (error) {
    return ignored(`local mode cannot enforce it: ${(error as Error).message}`);
  }
  return {
    policy: parsed.policy,
    log: [
      {
        level: "INFO",
        message: `image ${imageRef}: the sandbox runs with the policy in ${file.path} (it was created without one)`,
      },
    ],
  };
}

/**
 * Stores the image's policy as the sandbox's: its revision 1 (the create's empty policy, LOADED)
 * now holds it, with provenance `source: image` and the file. Only while revision 1 is still that
 * empty policy and nothing came after it; returns whether it was stored.
 */
export function storeImagePolicy(
  store: LocalStateStore,
  sandboxId: string,
  policy: SandboxPolicy,
  path: string,
): boolean {
  const [latest] = store.listPolicyRevisions<JsonValue>(sandboxId, 1, 0);
  if (latest === undefined || latest.version !== 1) return false;
  let stored = false;
  store.updatePolicyRevision<JsonValue>(sandboxId, 1, (record) => {
    const revision = fromJson(SandboxPolicyRevisionSchema, record);
    const empty =
      revision.policy === undefined || equals(SandboxPolicySchema, revision.policy, emptyPolicy());
    if (!empty || revision.provenance.source !== "create") return record;
    revision.policy = policy;
    revision.policyHash = policyHash(policy);
    revision.provenance = { source: "image", path };
    stored = true;
    return toJson(SandboxPolicyRevisionSchema, revision);
  });
  return stored;
}
