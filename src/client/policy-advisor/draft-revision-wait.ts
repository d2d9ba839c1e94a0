import { ProtocolError } from "../../errors.js";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { PolicyWaitOptions } from "../policy/policy-options.js";
import { toPolicyRevisionInfo } from "../policy/policy-revision.js";
import {
  defaultPolicyPollMs,
  defaultPolicyWaitMs,
  waitForPolicyLoad,
} from "../policy/wait-for-policy-load.js";
import type { RequestOptions } from "../request-options.js";
import type { DraftApprovalResult } from "./draft-chunk.js";
import { draftWaitSchema } from "./draft-options.js";

/**
 * The result of a call that stored a policy revision (approve, approve all, undo). With `wait` it
 * resolves once the sandbox loaded the revision, as `os.policy.update({ wait })` does.
 */
export async function settleRevision(
  calls: GatewayCalls,
  sandboxName: string,
  workspace: string,
  stored: { version: number; policyHash: string },
  wait: boolean | PolicyWaitOptions | undefined,
  options: RequestOptions | undefined,
): Promise<DraftApprovalResult> {
  // Version 0: nothing was approved, so no revision exists to wait for.
  if (stored.version === 0) return { ...stored, status: "unchanged" };
  if (!wait) return { ...stored, status: "pending" };
  const w = wait === true ? {} : validate(draftWaitSchema, wait, "wait", { field: "wait" });
  const loaded = await waitForPolicyLoad(
    async (signal) => {
      const res = await calls.unary(
        `get status of policy version ${stored.version} of sandbox "${sandboxName}"`,
        { signal, timeoutMs: options?.timeoutMs },
        (o) =>
          calls.openshell.getSandboxPolicyStatus(
            { name: sandboxName, version: stored.version, workspace },
            o,
          ),
      );
      if (!res.revision)
        throw new ProtocolError("GetSandboxPolicyStatus: the gateway answered without a revision");
      return toPolicyRevisionInfo(res.revision);
    },
    {
      sandboxName,
      version: stored.version,
      timeoutMs: w.timeoutMs ?? defaultPolicyWaitMs,
      pollIntervalMs: w.pollIntervalMs ?? defaultPolicyPollMs,
      signal: options?.signal,
    },
  );
  return { ...stored, status: loaded.status };
}
