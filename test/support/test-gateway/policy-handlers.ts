import { clone, create, type DescMessage, equals, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type EffectiveSetting,
  EffectiveSettingSchema,
  FilesystemPolicySchema,
  LandlockPolicySchema,
  PolicySource,
  ProcessPolicySchema,
  type SandboxPolicy,
  SandboxPolicySchema,
  SettingScope,
} from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import type { GatewayState } from "./gateway-state.js";
import { applyMergeOperations } from "./policy-merge.js";
import { addRevision, latestRevision } from "./policy-revisions.js";
import type { SandboxRecord } from "./sandbox-record.js";
import { invalid, limits, page } from "./validation.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

function noGlobalPolicy(): ConnectError {
  return new ConnectError("the test gateway has no global policy scope", Code.Unimplemented);
}

/** An unset section equals an empty one: clients may send either for "nothing set". */
function sameSection<Desc extends DescMessage>(
  schema: Desc,
  a: MessageShape<Desc> | undefined,
  b: MessageShape<Desc> | undefined,
): boolean {
  return equals(schema, a ?? create(schema), b ?? create(schema));
}

/** Filesystem, landlock and process are fixed at create (SEMANTICS.md §8). */
function checkStaticSections(current: SandboxPolicy, next: SandboxPolicy): void {
  const changed = !sameSection(FilesystemPolicySchema, current.filesystem, next.filesystem)
    ? "filesystem"
    : !sameSection(LandlockPolicySchema, current.landlock, next.landlock)
      ? "landlock"
      : !sameSection(ProcessPolicySchema, current.process, next.process)
        ? "process"
        : undefined;
  if (changed) {
    throw invalid(`policy.${changed} cannot change after the sandbox is created; only network_policies may`);
  }
}

function activeRevision(record: SandboxRecord) {
  const version = record.activePolicyVersion;
  return record.revisions.find((r) => r.version === version) ?? latestRevision(record);
}

export function policyHandlers(state: GatewayState): Handlers {
  return {
    async getSandboxConfig(req) {
      const record = state.sandboxById(req.sandboxId);
      const active = activeRevision(record);
      const settings: Record<string, EffectiveSetting> = {};
      for (const [key, value] of record.settings) {
        settings[key] = create(EffectiveSettingSchema, { value, scope: SettingScope.SANDBOX });
      }
      return {
        policy: active?.policy,
        version: active?.version ?? 0,
        policyHash: active?.policyHash ?? "",
        settings,
        configRevision: record.resourceVersion,
        policySource: PolicySource.SANDBOX,
        workspace: record.workspace,
      };
    },

    /**
     * `expected_resource_version` is compared with the sandbox's `metadata.resource_version` (the
     * object the policy belongs to; every policy change bumps it), 0 skipping the check.
     */
    async updateConfig(req) {
      if (req.global) throw noGlobalPolicy();
      const record = state.sandboxByName(req.name, req.workspace);
      if (req.expectedResourceVersion !== 0n && req.expectedResourceVersion !== record.resourceVersion) {
        throw new ConnectError(
          `sandbox "${record.name}" changed since resource_version ${req.expectedResourceVersion} (now ${record.resourceVersion})`,
          Code.Aborted,
        );
      }
      Object.assign(record.annotations, req.annotations);
      const latest = latestRevision(record);
      let deleted = false;

      if (req.settingKey !== "") {
        if (req.deleteSetting) deleted = record.settings.delete(req.settingKey);
        else if (req.settingValue) record.settings.set(req.settingKey, req.settingValue);
        else throw invalid("setting_value is required unless delete_setting is set");
        record.settingsRevision++;
        record.touch();
      } else if (!req.policy && req.mergeOperations.length === 0) {
        throw invalid("nothing to update: set policy, merge_operations or setting_key");
      }

      let revision = latest;
      if (req.policy || req.mergeOperations.length > 0) {
        const current = latest?.policy ?? create(SandboxPolicySchema, { version: 1 });
        const next = clone(SandboxPolicySchema, req.policy ?? current);
        checkStaticSections(current, next);
        applyMergeOperations(next, req.mergeOperations);
        if (toBinary(SandboxPolicySchema, next).byteLength > limits.policyBytes) {
          throw invalid(`policy is larger than ${limits.policyBytes} bytes`);
        }
        revision = addRevision(state, record, next);
      }
      return {
        version: revision?.version ?? 0,
        policyHash: revision?.policyHash ?? "",
        settingsRevision: record.settingsRevision,
        deleted,
        annotations: { ...record.annotations },
      };
    },

    async getSandboxPolicyStatus(req) {
      if (req.global) throw noGlobalPolicy();
      const record = state.sandboxByName(req.name, req.workspace);
      const revision =
        req.version === 0 ? latestRevision(record) : record.revisions.find((r) => r.version === req.version);
      if (!revision) {
        throw new ConnectError(
          `sandbox "${record.name}" has no policy version ${req.version}`,
          Code.NotFound,
        );
      }
      return { revision, activeVersion: record.activePolicyVersion };
    },

    async listSandboxPolicies(req) {
      if (req.global) throw noGlobalPolicy();
      const record = state.sandboxByName(req.name, req.workspace);
      const newestFirst = [...record.revisions].reverse();
      return { revisions: page(newestFirst, req.limit, req.offset, 50, 1000) };
    },
  };
}
