import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { clone, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { SandboxPolicySchema } from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  type OpenShell,
  SandboxPhase,
  SandboxSpecSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type GatewayState, workspaceOf } from "./gateway-state.js";
import { bringUp, delays, remove, start, stop } from "./lifecycle.js";
import { addInitialRevision } from "./policy-revisions.js";
import { SandboxRecord } from "./sandbox-record.js";
import {
  checkSandboxName,
  checkSpecEnvironment,
  invalid,
  limits,
  page,
  parseLabelSelector,
} from "./validation.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

function precondition(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}

export function sandboxHandlers(state: GatewayState): Handlers {
  return {
    async createSandbox(req) {
      if (!req.spec) throw invalid("spec is required");
      const workspace = workspaceOf(req.workspace);
      // Generated names stay within the 19-character limit: "sandbox-" + 10 hex.
      const name = req.name === "" ? `sandbox-${randomBytes(5).toString("hex")}` : req.name;
      checkSandboxName(name);
      for (const record of state.sandboxes.values()) {
        if (record.name === name && record.workspace === workspace) {
          throw new ConnectError(
            `sandbox "${name}" already exists in workspace "${workspace}"`,
            Code.AlreadyExists,
          );
        }
      }
      const spec = clone(SandboxSpecSchema, req.spec);
      if (spec.providers.length > limits.providers) {
        throw invalid(`spec.providers has ${spec.providers.length} entries, more than ${limits.providers}`);
      }
      checkSpecEnvironment(spec.environment, "spec.environment");
      checkSpecEnvironment(spec.template?.environment ?? {}, "spec.template.environment");
      if (spec.command.length > limits.mainCommandArgs) {
        throw invalid(
          `spec.command has ${spec.command.length} arguments, more than ${limits.mainCommandArgs}`,
        );
      }
      if (spec.policy && toBinary(SandboxPolicySchema, spec.policy).byteLength > limits.policyBytes) {
        throw invalid(`spec.policy is larger than ${limits.policyBytes} bytes`);
      }
      for (const provider of spec.providers) {
        if (!state.provider(provider, workspace)) {
          throw precondition(`provider "${provider}" not found in workspace "${workspace}"`);
        }
      }
      const record = new SandboxRecord({
        id: randomUUID(),
        name,
        workspace,
        labels: { ...req.labels },
        annotations: { ...req.annotations },
        spec,
        dir: mkdtempSync(join(state.root, `${name}-`)),
      });
      addInitialRevision(record);
      state.sandboxes.set(record.id, record);
      record.gatewayLog("INFO", `sandbox "${name}" accepted; provisioning`);
      bringUp(state, record, delays.provisionMs);
      return { sandbox: record.toProto() };
    },

    async getSandbox(req) {
      return { sandbox: state.sandboxByName(req.name, req.workspace).toProto() };
    },

    async listSandboxes(req) {
      if (req.workspace !== "" && req.allWorkspaces) {
        throw invalid("workspace and all_workspaces cannot both be set");
      }
      const workspace = workspaceOf(req.workspace);
      const selector = parseLabelSelector(req.labelSelector);
      const matching = [...state.sandboxes.values()]
        .filter((r) => req.allWorkspaces || r.workspace === workspace)
        .filter((r) => selector.every(([k, v]) => r.labels[k] === v))
        .sort((a, b) => Number(a.createdAtMs - b.createdAtMs) || a.name.localeCompare(b.name));
      return { sandboxes: page(matching, req.limit, req.offset, 100, 1000).map((r) => r.toProto()) };
    },

    async deleteSandbox(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      if (record.phase !== SandboxPhase.DELETING) remove(state, record);
      return { deleted: true };
    },

    async stopSandbox(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      if (record.phase !== SandboxPhase.READY && record.phase !== SandboxPhase.STOPPING) {
        throw precondition(
          `sandbox "${record.name}" is ${SandboxPhase[record.phase]}; only a READY or STOPPING sandbox can be stopped`,
        );
      }
      stop(state, record);
      return { sandbox: record.toProto() };
    },

    async startSandbox(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      // ERROR stays until an explicit lifecycle call: start is that call.
      if (record.phase !== SandboxPhase.STOPPED && record.phase !== SandboxPhase.ERROR) {
        throw precondition(
          `sandbox "${record.name}" is ${SandboxPhase[record.phase]}; only a STOPPED or ERROR sandbox can be started`,
        );
      }
      start(state, record);
      return { sandbox: record.toProto() };
    },
  };
}
