import type { ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type PolicyRepository, policyService } from "../../../src/local/protocol/policy-service.js";
import type { SandboxView } from "../../../src/local/sandboxes/sandbox-directory.js";
import type { GatewayState } from "./gateway-state.js";
import { addRevision } from "./policy-revisions.js";
import { sandboxDirectory } from "./sandbox-directory.js";

/** Revisions and settings on the sandbox's record; a revision loads a moment after it is stored. */
function memoryPolicies(state: GatewayState): PolicyRepository {
  const recordOf = (sandbox: SandboxView) => state.sandboxById(sandbox.id);
  const settings = (sandbox: SandboxView) => {
    const record = recordOf(sandbox);
    return { revision: record.settingsRevision, values: record.settings, annotations: record.annotations };
  };
  return {
    revisions: (sandbox) => [...recordOf(sandbox).revisions].reverse(),
    record: (sandbox, policy) => addRevision(state, recordOf(sandbox), policy),
    settings,
    changeSettings(sandbox, change) {
      const current = settings(sandbox);
      change(current);
      recordOf(sandbox).settingsRevision = current.revision;
      return current;
    },
  };
}

export function policyHandlers(state: GatewayState): Partial<ServiceImpl<typeof OpenShell>> {
  return policyService(memoryPolicies(state), sandboxDirectory(state), "test gateway");
}
