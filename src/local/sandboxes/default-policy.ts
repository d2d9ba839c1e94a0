import { create } from "@bufbuild/protobuf";
import { type SandboxPolicy, SandboxPolicySchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";

/**
 * What local mode enforces for a sandbox created without a policy, and for each section a policy
 * leaves out: the workdir and /tmp writable and nothing else, landlock best_effort (what a runtime
 * cannot enforce is logged, not refused), the image's own non-root user, no network policies.
 *
 * A sandbox created without a policy first gets its image's own /etc/openshell/policy.yaml (then
 * /etc/navigator/policy.yaml), as on the gateway (SEMANTICS.md §15, image-policy.ts); this applies
 * when the image has none or it is not usable. The sandbox's policy revisions then keep what the
 * create sent (nothing, here), not this.
 */
export const LOCAL_DEFAULT_POLICY: Readonly<SandboxPolicy> = deepFreeze(
  create(SandboxPolicySchema, {
    version: 1,
    filesystem: { includeWorkdir: true, readOnly: [], readWrite: ["/tmp"] },
    landlock: { compatibility: "best_effort" },
    // Empty: the image's USER, which must not be root.
    process: { runAsUser: "", runAsGroup: "" },
    networkPolicies: {},
  }),
);

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === "object" && inner !== null && !Object.isFrozen(inner)) deepFreeze(inner);
  }
  return Object.freeze(value);
}
