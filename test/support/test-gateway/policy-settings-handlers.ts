import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  EffectiveSettingSchema,
  GetSandboxConfigResponseSchema,
  SettingScope,
  type SettingValue,
} from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { invalid } from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";
import { policyHandlers } from "./policy-handlers.js";

/**
 * The `global` settings scope (SEMANTICS §8) on top of the sandbox-scope policy handlers:
 * UpdateConfig with `global` and a `setting_key` sets or deletes a gateway-wide setting,
 * GetGatewayConfig lists them, and GetSandboxConfig reports a global setting in place of the
 * sandbox's own value of the same key, with scope GLOBAL. A global policy stays UNIMPLEMENTED here.
 */
export function policySettingsHandlers(state: GatewayState): Partial<ServiceImpl<typeof OpenShell>> {
  const base = policyHandlers(state);
  const global = new Map<string, SettingValue>();
  let revision = 0n;
  const baseCall = <K extends "getSandboxConfig" | "updateConfig">(name: K) => {
    const handler = base[name];
    if (!handler) throw new Error(`policyHandlers has no ${name}`);
    return handler;
  };
  const getSandboxConfig = baseCall("getSandboxConfig");
  const updateConfig = baseCall("updateConfig");

  return {
    getGatewayConfig() {
      return { settings: Object.fromEntries(global), settingsRevision: revision };
    },
    async getSandboxConfig(req, ctx) {
      const res = create(GetSandboxConfigResponseSchema, await getSandboxConfig(req, ctx));
      for (const [key, value] of global) {
        res.settings[key] = create(EffectiveSettingSchema, { value, scope: SettingScope.GLOBAL });
      }
      return res;
    },
    async updateConfig(req, ctx) {
      if (!req.global) return updateConfig(req, ctx);
      if (req.policy || req.mergeOperations.length > 0) {
        throw new ConnectError(
          "the test gateway has no global policy; change global settings only",
          Code.Unimplemented,
        );
      }
      if (req.settingKey === "") throw invalid("setting_key is required with global");
      if (!req.deleteSetting && !req.settingValue) {
        throw invalid("setting_value is required unless delete_setting is set");
      }
      let deleted = false;
      if (req.deleteSetting) {
        deleted = global.delete(req.settingKey);
        if (deleted) revision += 1n;
      } else if (req.settingValue) {
        global.set(req.settingKey, req.settingValue);
        revision += 1n;
      }
      return { version: 0, policyHash: "", settingsRevision: revision, deleted, annotations: {} };
    },
  };
}
