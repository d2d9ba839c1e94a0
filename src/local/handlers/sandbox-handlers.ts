import { clone } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type CreateSandboxRequest,
  type OpenShell,
  type SandboxSpec,
  SandboxSpecSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import { checkNewSandboxProviders } from "../credentials/sandbox-binding-checks.js";
import { invalidArgument } from "../protocol/gateway-errors.js";
import { checkLifecycleCall, stopIsNoOp } from "../protocol/lifecycle-calls.js";
import { unknownProvider } from "../protocol/providers.js";
import { sandboxByName } from "../protocol/sandbox-lookup.js";
import { sandboxNameFor } from "../protocol/sandbox-name.js";
import {
  checkSandboxSpec,
  checkWorkspaceScope,
  matchesLabels,
  page,
  paging,
  parseLabelSelector,
  workspaceOf,
} from "../protocol/validation.js";
import type { LiveSandbox } from "../sandboxes/live-sandbox.js";
import type { SandboxManager } from "../sandboxes/sandbox-manager.js";
import type { LocalStateStore } from "../state/state-store.js";
import type { TemplatedSandbox } from "../templates/template-application.js";
import { requireActiveWorkspace, requireKnownWorkspace } from "../workspaces/workspace-records.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

export interface SandboxHandlerDeps {
  sandboxes: SandboxManager;
  store: LocalStateStore;
  /** Records the policy a sandbox was created with as its first revision. */
  recordInitialPolicy: (sandbox: LiveSandbox) => void;
  /** Refuses, before anything is made, a policy the gateway cannot enforce (INVALID_ARGUMENT). */
  checkPolicy?: (policy: SandboxSpec["policy"]) => void;
  /** The spec a request naming `workload_template_name` runs (template-handlers.ts). */
  fromWorkloadTemplate: (req: CreateSandboxRequest, workspace: string) => TemplatedSandbox;
}

/** Create, get, list, delete, stop and start, with the gateway's names, limits and codes. */
export function sandboxHandlers({
  sandboxes,
  store,
  recordInitialPolicy,
  checkPolicy,
  fromWorkloadTemplate,
}: SandboxHandlerDeps): Handlers {
  return {
    async createSandbox(req) {
      const workspace = workspaceOf(req.workspace);
      requireActiveWorkspace(store.records, workspace);
      const templated = req.workloadTemplateName === "" ? undefined : fromWorkloadTemplate(req, workspace);
      const spec = templated?.spec ?? (req.spec && clone(SandboxSpecSchema, req.spec));
      if (!spec) throw invalidArgument("spec is required");
      const name = sandboxNameFor(req.name);
      checkSandboxSpec(spec);
      checkPolicy?.(spec.policy);
      for (const provider of spec.providers) {
        if (!store.getProvider(workspace, provider)) throw unknownProvider(provider, workspace);
      }
      checkNewSandboxProviders(store, workspace, spec.providers, spec.policy, Date.now());
      const sandbox = sandboxes.create({
        name,
        workspace,
        labels: { ...req.labels },
        annotations: { ...req.annotations },
        spec,
        ...(templated === undefined ? {} : { createdFromWorkloadTemplate: templated.provenance }),
        // Checked again where the sandbox is inserted, in one transaction: a workspace deleted by
        // another process sharing the state directory since the check above gets no sandbox.
        precondition: () => requireActiveWorkspace(store.records, workspace),
      });
      recordInitialPolicy(sandbox);
      return { sandbox: sandbox.toProto() };
    },

    async getSandbox(req) {
      return { sandbox: sandboxByName(sandboxes, req.name, req.workspace).toProto() };
    },

    async listSandboxes(req) {
      checkWorkspaceScope(req.workspace, req.allWorkspaces);
      if (!req.allWorkspaces) requireKnownWorkspace(store.records, workspaceOf(req.workspace));
      const selector = parseLabelSelector(req.labelSelector);
      const matching = sandboxes
        .all(req.allWorkspaces ? undefined : workspaceOf(req.workspace))
        .filter((s) => matchesLabels(s.record.labels, selector));
      return { sandboxes: page(matching, req.limit, req.offset, paging.sandboxes).map((s) => s.toProto()) };
    },

    async deleteSandbox(req) {
      await sandboxes.delete(sandboxByName(sandboxes, req.name, req.workspace));
      return { deleted: true };
    },

    async stopSandbox(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      if (stopIsNoOp({ name: sandbox.name, phase: sandbox.phase, exitCode: sandbox.status.exitCode })) {
        return { sandbox: sandbox.toProto() };
      }
      checkLifecycleCall("stop", sandbox);
      await sandboxes.stop(sandbox);
      return { sandbox: sandbox.toProto() };
    },

    async startSandbox(req) {
      const sandbox = sandboxByName(sandboxes, req.name, req.workspace);
      checkLifecycleCall("start", sandbox);
      await sandboxes.startAgain(sandbox);
      return { sandbox: sandbox.toProto() };
    },
  };
}
