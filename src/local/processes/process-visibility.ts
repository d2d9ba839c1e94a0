import { CapabilityError } from "../../errors.js";
import type { SandboxPolicy } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type { RuntimeInfo } from "../../runtime/runtime-info.js";

/** The capability `binaries` needs: telling which process in a sandbox opened a connection. */
export const PROCESS_IDENTITY = "process-identity";

/** Whether this gateway can see its sandboxes' processes, and why not when it cannot. */
export type ProcessVisibility = { visible: true } | { visible: false; why: string };

export interface VisibilityFacts {
  runtime: Pick<RuntimeInfo, "kind" | "rootless">;
  /** `ContainerRuntime.endpoint`: a unix socket means an engine on this host. */
  endpoint: string;
  platform: NodeJS.Platform;
  /** The gateway's effective UID; undefined where there is none (Windows). */
  uid: number | undefined;
}

/**
 * Whether a connection's process can be found from this gateway: only on Linux, with the gateway
 * as root (reading other users' /proc entries and the sandboxes' sockets), beside a rootful Docker or
 * Podman on this host (a rootless engine's or a remote one's processes are not the gateway's to
 * read; Apple `container` runs each sandbox in a VM).
 */
export function processVisibility(facts: VisibilityFacts): ProcessVisibility {
  const { runtime } = facts;
  if (runtime.kind !== "docker" && runtime.kind !== "podman") {
    return {
      visible: false,
      why: `the ${runtime.kind} runtime runs each sandbox in a VM whose processes the gateway cannot see`,
    };
  }
  if (facts.platform !== "linux") {
    return {
      visible: false,
      why: `the ${runtime.kind} engine runs in a VM on ${facts.platform}, whose processes the gateway cannot see`,
    };
  }
  if (runtime.rootless) {
    return {
      visible: false,
      why: `the ${runtime.kind} engine is rootless, so its sandboxes' processes are not the gateway's to read`,
    };
  }
  if (!facts.endpoint.startsWith("unix://")) {
    return { visible: false, why: `the ${runtime.kind} engine at ${facts.endpoint} may run on another host` };
  }
  if (facts.uid !== 0) {
    return {
      visible: false,
      why: "the gateway does not run as root, so it cannot read the sandboxes' processes in /proc",
    };
  }
  return { visible: true };
}

/** The rules of `policy` that name binaries, by key. */
function rulesWithBinaries(policy: Pick<SandboxPolicy, "networkPolicies">): string[] {
  return Object.entries(policy.networkPolicies)
    .filter(([, rule]) => rule.binaries.length > 0)
    .map(([key]) => key);
}

/**
 * Refuses a policy whose `binaries` this gateway cannot enforce under landlock.compatibility
 * "hard_requirement", with a CapabilityError naming {@link PROCESS_IDENTITY}; returns the warning to
 * log under best_effort (the rules then apply to every process, as if they named no binaries), or
 * undefined when there is nothing to say.
 */
export function binariesNotEnforced(
  policy: Pick<SandboxPolicy, "networkPolicies" | "landlock">,
  visibility: ProcessVisibility,
  runtimeKind: string,
): string | undefined {
  if (visibility.visible) return undefined;
  const rules = rulesWithBinaries(policy);
  if (rules.length === 0) return undefined;
  const named = rules.map((key) => `network_policies[${JSON.stringify(key)}].binaries`).join(", ");
  if (policy.landlock?.compatibility === "hard_requirement") {
    throw new CapabilityError(
      `${named} cannot be enforced with landlock.compatibility "hard_requirement": ${visibility.why} ` +
        `(capability ${PROCESS_IDENTITY}). Run the gateway as root beside a rootful Docker or Podman on Linux, ` +
        'or set landlock.compatibility to "best_effort" to let every process use these rules (with a warning)',
      { runtime: runtimeKind, missing: [PROCESS_IDENTITY] },
    );
  }
  return (
    `${named} not enforced: ${visibility.why} (capability ${PROCESS_IDENTITY}), so these rules apply to every ` +
    "process in the sandbox, as if they named no binaries (landlock.compatibility is best_effort)"
  );
}
