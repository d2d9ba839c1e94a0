import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { clone } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type OpenShell,
  SandboxPhase,
  SandboxSpecSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { checkLifecycleCall, stopIsNoOp } from "../../../src/local/protocol/lifecycle-calls.js";
import { unknownProvider } from "../../../src/local/protocol/providers.js";
import { sandboxNameFor } from "../../../src/local/protocol/sandbox-name.js";
import {
  checkSandboxSpec,
  checkWorkspaceScope,
  invalid,
  matchesLabels,
  page,
  paging,
  parseLabelSelector,
  workspaceOf,
} from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";
import { bringUp, delays, remove, start, stop } from "./lifecycle.js";
import { addInitialRevision } from "./policy-revisions.js";
import { SandboxRecord } from "./sandbox-record.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

export function sandboxHandlers(state: GatewayState): Handlers {
  return {
    async createSandbox(req) {
      if (!req.spec) throw invalid("spec is required");
      const workspace = workspaceOf(req.workspace);
      const name = sandboxNameFor(req.name);
      for (const record of state.sandboxes.values()) {
        if (record.name === name && record.workspace === workspace) {
          throw new ConnectError(
            `sandbox "${name}" already exists in workspace "${workspace}"`,
            Code.AlreadyExists,
          );
        }
      }
      const spec = clone(SandboxSpecSchema, req.spec);
      checkSandboxSpec(spec);
      for (const provider of spec.providers) {
        if (!state.provider(provider, workspace)) throw unknownProvider(provider, workspace);
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
      checkWorkspaceScope(req.workspace, req.allWorkspaces);
      const workspace = workspaceOf(req.workspace);
      const selector = parseLabelSelector(req.labelSelector);
      const matching = [...state.sandboxes.values()]
        .filter((r) => req.allWorkspaces || r.workspace === workspace)
        .filter((r) => matchesLabels(r.labels, selector))
        .sort((a, b) => Number(a.createdAtMs - b.createdAtMs) || a.name.localeCompare(b.name));
      return {
        sandboxes: page(matching, req.limit, req.offset, paging.sandboxes).map((r) => r.toProto()),
      };
    },

    async deleteSandbox(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      if (record.phase !== SandboxPhase.DELETING) remove(state, record);
      return { deleted: true };
    },

    async stopSandbox(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      if (!state.legacyMainProcessExit && stopIsNoOp(record)) return { sandbox: record.toProto() };
      checkLifecycleCall("stop", record);
      stop(state, record);
      return { sandbox: record.toProto() };
    },

    async startSandbox(req) {
      const record = state.sandboxByName(req.name, req.workspace);
      checkLifecycleCall("start", record);
      start(state, record);
      return { sandbox: record.toProto() };
    },
  };
}
