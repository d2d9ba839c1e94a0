import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type EffectiveSetting,
  EffectiveSettingSchema,
  PolicySource,
  type SandboxPolicy,
  SettingScope,
  type SettingValue,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type { OpenShell, SandboxPolicyRevision } from "../../gen/openshell/v1/openshell_pb.js";
import type { SandboxDirectory, SandboxView } from "../sandboxes/sandbox-directory.js";
import { resourceVersionOf, sandboxAtVersion } from "./sandbox-at-version.js";
import { sandboxById, sandboxByName } from "./sandbox-lookup.js";
import {
  activePolicyVersion,
  applySettingChange,
  checkUpdateConfig,
  nextSandboxPolicy,
  noGlobalPolicy,
  policyVersionNotFound,
} from "./sandbox-policy.js";
import { page, paging } from "./validation.js";

/** A sandbox's UpdateConfig settings. */
export interface SandboxSettings {
  /** settings_revision: bumped by every setting change. */
  revision: bigint;
  values: Map<string, SettingValue>;
  /** UpdateConfig's annotations, merged call after call. */
  annotations: Record<string, string>;
}

/** Where a gateway keeps policy revisions and settings, and how its sandboxes load a revision. */
export interface PolicyRepository {
  /** Every revision of the sandbox, newest first; one with none gets its initial revision first. */
  revisions(sandbox: SandboxView): SandboxPolicyRevision[];
  /**
   * Stores `policy` as the sandbox's next revision, PENDING, superseding older PENDING ones, and
   * starts loading it (LOADED then supersedes the revision active before it); returns it as stored.
   */
  record(sandbox: SandboxView, policy: SandboxPolicy): SandboxPolicyRevision;
  settings(sandbox: SandboxView): SandboxSettings;
  /** Changes the settings through `change` (atomically where storage is shared) and returns them. */
  changeSettings(sandbox: SandboxView, change: (settings: SandboxSettings) => void): SandboxSettings;
  /**
   * Refuses (throws) a policy the gateway answers with an error rather than storing it as a
   * revision that fails to load (local mode: credential bindings, as upstream's UpdateConfig).
   */
  check?(sandbox: SandboxView, policy: SandboxPolicy): void;
}

/**
 * Sandbox-scope policy and settings (SEMANTICS.md §8) over any storage; `gateway` names the gateway
 * in the UNIMPLEMENTED answer to the global scope, which neither gateway of this SDK has.
 *
 * `expected_resource_version` is compared with the sandbox's `metadata.resource_version`; a change
 * of policy or settings bumps it (through the directory, which also tells watchers). The sandbox's
 * `spec.policy` stays the policy it was created with; the revisions hold the rest.
 */
export function policyService(
  policies: PolicyRepository,
  sandboxes: SandboxDirectory,
  gateway: string,
): Partial<ServiceImpl<typeof OpenShell>> {
  return {
    async getSandboxConfig(req) {
      const sandbox = sandboxById(sandboxes, req.sandboxId);
      const revisions = policies.revisions(sandbox);
      const activeVersion = activePolicyVersion(revisions);
      const active = revisions.find((r) => r.version === activeVersion) ?? revisions[0];
      const settings: Record<string, EffectiveSetting> = {};
      for (const [key, value] of policies.settings(sandbox).values) {
        settings[key] = create(EffectiveSettingSchema, { value, scope: SettingScope.SANDBOX });
      }
      return {
        policy: active?.policy,
        version: active?.version ?? 0,
        policyHash: active?.policyHash ?? "",
        settings,
        configRevision: resourceVersionOf(sandbox),
        policySource: PolicySource.SANDBOX,
        workspace: sandbox.workspace,
      };
    },

    async updateConfig(req) {
      checkUpdateConfig(req, gateway);
      const sandbox = sandboxAtVersion(sandboxes, req.name, req.workspace, req.expectedResourceVersion);
      const [latest] = policies.revisions(sandbox);
      // Every check is made before anything changes.
      const policy = nextSandboxPolicy(latest?.policy, req);
      if (policy) policies.check?.(sandbox, policy);

      let deleted = false;
      const changesSettings = req.settingKey !== "" || Object.keys(req.annotations).length > 0;
      const settings = !changesSettings
        ? policies.settings(sandbox)
        : policies.changeSettings(sandbox, (s) => {
            const change = applySettingChange(s.values, req);
            if (change) s.revision += 1n;
            deleted = change?.deleted ?? false;
            Object.assign(s.annotations, req.annotations);
          });
      const revision = policy ? policies.record(sandbox, policy) : latest;
      // No spec change: this bumps the resource version and tells watchers.
      if (policy || req.settingKey !== "") sandboxes.updateSpec(sandbox.id, () => undefined);
      return {
        version: revision?.version ?? 0,
        policyHash: revision?.policyHash ?? "",
        settingsRevision: settings.revision,
        deleted,
        annotations: { ...settings.annotations },
      };
    },

    async getSandboxPolicyStatus(req) {
      if (req.global) throw noGlobalPolicy(gateway);
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      const revisions = policies.revisions(sandbox);
      const revision = req.version === 0 ? revisions[0] : revisions.find((r) => r.version === req.version);
      if (!revision) throw policyVersionNotFound(sandbox.name, req.version);
      return { revision, activeVersion: activePolicyVersion(revisions) };
    },

    async listSandboxPolicies(req) {
      if (req.global) throw noGlobalPolicy(gateway);
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      return { revisions: page(policies.revisions(sandbox), req.limit, req.offset, paging.policyRevisions) };
    },
  };
}
