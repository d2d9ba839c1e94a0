import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type CreateSandboxRequest,
  CreateSandboxRequestSchema,
  type OpenShell,
  SandboxSpecSchema,
  type SandboxWorkloadTemplate,
  SandboxWorkloadTemplateSchema,
  SandboxWorkloadTemplateSpecSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  checkWorkspaceScope,
  invalid,
  matchesLabels,
  page,
  parseLabelSelector,
  workspaceOf,
} from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";
import { sandboxHandlers } from "./sandbox-handlers.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** SEMANTICS §3: at most 1000 templates per workspace; list pages like ListSandboxes. */
const maxPerWorkspace = 1000;
const templatePaging = { defaultLimit: 100, maxLimit: 1000 };
const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function checkTemplateName(name: string): void {
  if (name === "") throw invalid("template.metadata.name is required");
  if (name.length > 19 || !dnsLabel.test(name)) {
    throw invalid(`template name "${name}" must be a DNS-1123 label of at most 19 characters`);
  }
}

/**
 * The sandbox spec fields a request from a template may not carry (SEMANTICS §3): the template owns
 * them. Only policy and providers may be added.
 */
function checkTemplatedSpec(req: CreateSandboxRequest): void {
  const spec = req.spec;
  if (!spec) return;
  const refused = [
    spec.logLevel !== "" && "spec.log_level",
    Object.keys(spec.environment).length > 0 && "spec.environment",
    spec.template !== undefined && "spec.template",
    spec.resourceRequirements !== undefined && "spec.resource_requirements",
  ].filter((f): f is string => f !== false);
  if (refused.length > 0) {
    throw invalid(
      `${refused.join(", ")} cannot be set with workload_template_name "${req.workloadTemplateName}": the template owns them; only policy and providers may be added`,
    );
  }
}

/**
 * CreateSandboxTemplate, GetSandboxTemplate, ListSandboxTemplates and DeleteSandboxTemplate as
 * SEMANTICS §3 describes them, plus a CreateSandbox that applies `workload_template_name`: the
 * sandbox takes image, environment, resources (as limits), GPUs and driver config from the template
 * and records which template, at which version, it came from. Registered after sandboxHandlers,
 * whose CreateSandbox it wraps.
 */
export function templateHandlers(state: GatewayState): Handlers {
  const templates = new Map<string, SandboxWorkloadTemplate>();
  const key = (workspace: string, name: string) => `${workspace}/${name}`;
  const notFound = (name: string, workspace: string) =>
    new ConnectError(`sandbox template "${name}" not found in workspace "${workspace}"`, Code.NotFound);
  const base = sandboxHandlers(state);

  return {
    createSandboxTemplate(req) {
      const input = req.template;
      if (!input) throw invalid("template is required");
      const name = input.metadata?.name ?? "";
      checkTemplateName(name);
      const workspace = workspaceOf(req.workspace || input.metadata?.workspace || "");
      if (templates.has(key(workspace, name))) {
        throw new ConnectError(
          `sandbox template "${name}" already exists in workspace "${workspace}"`,
          Code.AlreadyExists,
        );
      }
      const count = [...templates.values()].filter((t) => t.metadata?.workspace === workspace).length;
      if (count >= maxPerWorkspace) {
        throw new ConnectError(
          `workspace "${workspace}" already holds ${maxPerWorkspace} sandbox templates`,
          Code.ResourceExhausted,
        );
      }
      const stored = create(SandboxWorkloadTemplateSchema, {
        metadata: {
          id: randomUUID(),
          name,
          workspace,
          labels: { ...input.metadata?.labels },
          annotations: { ...input.metadata?.annotations },
          createdAtMs: BigInt(Date.now()),
          resourceVersion: 1n,
        },
        spec: input.spec && clone(SandboxWorkloadTemplateSpecSchema, input.spec),
      });
      templates.set(key(workspace, name), stored);
      return { template: stored };
    },

    getSandboxTemplate(req) {
      const workspace = workspaceOf(req.workspace);
      const found = templates.get(key(workspace, req.name));
      if (!found) throw notFound(req.name, workspace);
      return { template: found };
    },

    listSandboxTemplates(req) {
      checkWorkspaceScope(req.workspace, req.allWorkspaces);
      const workspace = workspaceOf(req.workspace);
      const selector = parseLabelSelector(req.labelSelector);
      const matching = [...templates.values()]
        .filter((t) => req.allWorkspaces || t.metadata?.workspace === workspace)
        .filter((t) => matchesLabels(t.metadata?.labels ?? {}, selector))
        .sort((a, b) =>
          key(a.metadata?.workspace ?? "", a.metadata?.name ?? "").localeCompare(
            key(b.metadata?.workspace ?? "", b.metadata?.name ?? ""),
          ),
        );
      return { templates: page(matching, req.limit, req.offset, templatePaging) };
    },

    // No in-use check: sandboxes keep the snapshot they were created with.
    deleteSandboxTemplate(req) {
      return { deleted: templates.delete(key(workspaceOf(req.workspace), req.name)) };
    },

    async createSandbox(req, context) {
      const createPlain = base.createSandbox!;
      if (req.workloadTemplateName === "") return createPlain(req, context);
      const workspace = workspaceOf(req.workspace);
      const template = templates.get(key(workspace, req.workloadTemplateName));
      if (!template) throw notFound(req.workloadTemplateName, workspace);
      checkTemplatedSpec(req);
      const workload = template.spec?.workload;
      const resources = workload?.resources;
      const limits = {
        ...(resources?.cpu ? { cpu: resources.cpu } : {}),
        ...(resources?.memory ? { memory: resources.memory } : {}),
      };
      const applied = clone(CreateSandboxRequestSchema, req);
      applied.workloadTemplateName = "";
      applied.spec = create(SandboxSpecSchema, {
        command: req.spec?.command ?? [],
        tty: req.spec?.tty ?? false,
        providers: req.spec?.providers ?? [],
        policy: req.spec?.policy,
        environment: { ...workload?.environment },
        resourceRequirements: resources?.gpu ? { gpu: { count: resources.gpu.count } } : undefined,
        template: {
          image: workload?.image ?? "",
          resources: Object.keys(limits).length > 0 ? { limits } : undefined,
          driverConfig: template.spec?.driverConfig,
        },
      });
      const res = await createPlain(applied, context);
      const id = "sandbox" in res ? res.sandbox?.metadata?.id : undefined;
      const record = id === undefined ? undefined : state.sandboxes.get(id);
      if (!record) return res;
      record.createdFromWorkloadTemplate = {
        name: req.workloadTemplateName,
        resourceVersion: String(template.metadata?.resourceVersion ?? 0n),
      };
      return { sandbox: record.toProto() };
    },
  };
}
