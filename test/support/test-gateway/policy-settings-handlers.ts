import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  EffectiveSettingSchema,
  GetSandboxConfigResponseSchema,
  PolicySource,
  SettingScope,
  type SettingValue,
} from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import type { OpenShell, UpdateConfigRequest } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { invalid } from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";
import { globalPolicyOf, managedGlobally } from "./global-policy.js";
import { policyHandlers } from "./policy-handlers.js";

/** Upstream stores the global policy under this settings key; it is set only through `policy`. */
const policyKey = "policy";

/**
 * The `global` scope (SEMANTICS §8) on top of the sandbox-scope policy handlers, as upstream serves
 * it: UpdateConfig with `global` and a `setting_key` sets or deletes a gateway-wide setting (deleting
 * `policy` deletes the global policy), with `global` and a `policy` sets the global policy;
 * GetGatewayConfig lists the settings; GetSandboxPolicyStatus and ListSandboxPolicies with `global`
 * read the global policy's revisions. GetSandboxConfig reports a global setting in place of the
 * sandbox's own value of the same key, and the global policy in place of the sandbox's, with scope
 * and source GLOBAL; while a global policy is set, sandbox policy changes are refused.
 */
export function policySettingsHandlers(state: GatewayState): Partial<ServiceImpl<typeof OpenShell>> {
  const base = policyHandlers(state);
  const globalPolicy = globalPolicyOf(state);
  const global = new Map<string, SettingValue>();
  let revision = 0n;
  const baseCall = <
    K extends "getSandboxConfig" | "updateConfig" | "getSandboxPolicyStatus" | "listSandboxPolicies",
  >(
    name: K,
  ) => {
    const handler = base[name];
    if (!handler) throw new Error(`policyHandlers has no ${name}`);
    return handler;
  };
  const getSandboxConfig = baseCall("getSandboxConfig");
  const updateConfig = baseCall("updateConfig");
  const getSandboxPolicyStatus = baseCall("getSandboxPolicyStatus");
  const listSandboxPolicies = baseCall("listSandboxPolicies");
  const changed = () => {
    revision += 1n;
    return revision;
  };
  const response = (version: number, policyHash: string, deleted: boolean) => ({
    version,
    policyHash,
    settingsRevision: revision,
    deleted,
    annotations: {},
  });

  const updateGlobal = (req: UpdateConfigRequest) => {
    if (Object.keys(req.annotations).length > 0) {
      throw invalid("annotations are only supported for sandbox-scoped updates");
    }
    if (req.mergeOperations.length > 0)
      throw invalid("merge_operations are not supported for global policy updates");
    if (req.policy && req.settingKey !== "") {
      throw invalid("policy, setting_key, and merge_operations are mutually exclusive");
    }
    if (req.policy) {
      if (req.deleteSetting) throw invalid("delete_setting cannot be combined with policy payload");
      const set = globalPolicy.set(req.policy);
      if (set.changed) changed();
      return response(set.version, set.policyHash, false);
    }
    if (req.settingKey === "")
      throw invalid("one of policy, setting_key, or merge_operations must be provided");
    if (req.settingKey === policyKey) {
      if (!req.deleteSetting) throw invalid("reserved key 'policy' must be set via the policy field");
      const deleted = globalPolicy.delete();
      if (deleted) changed();
      return response(0, "", deleted);
    }
    let deleted = false;
    if (req.deleteSetting) {
      deleted = global.delete(req.settingKey);
      if (deleted) changed();
    } else if (req.settingValue) {
      global.set(req.settingKey, req.settingValue);
      changed();
    } else {
      throw invalid("setting_value is required");
    }
    return response(0, "", deleted);
  };

  return {
    getGatewayConfig() {
      return { settings: Object.fromEntries(global), settingsRevision: revision };
    },
    async getSandboxConfig(req, ctx) {
      const res = create(GetSandboxConfigResponseSchema, await getSandboxConfig(req, ctx));
      for (const [key, value] of global) {
        res.settings[key] = create(EffectiveSettingSchema, { value, scope: SettingScope.GLOBAL });
      }
      const active = globalPolicy.active();
      if (active) {
        Object.assign(res, {
          policy: active.policy,
          policyHash: active.policyHash,
          policySource: PolicySource.GLOBAL,
          globalPolicyVersion: active.version,
        });
      }
      return res;
    },
    async updateConfig(req, ctx) {
      if (req.global) return updateGlobal(req);
      if ((req.policy || req.mergeOperations.length > 0) && globalPolicy.active())
        throw managedGlobally("update");
      return updateConfig(req, ctx);
    },
    async getSandboxPolicyStatus(req, ctx) {
      if (!req.global) return getSandboxPolicyStatus(req, ctx);
      return { revision: globalPolicy.revision(req.version), activeVersion: 0 };
    },
    async listSandboxPolicies(req, ctx) {
      if (!req.global) return listSandboxPolicies(req, ctx);
      return { revisions: globalPolicy.list(req.limit, req.offset) };
    },
  };
}
