import { clone, create, type JsonValue } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { NotFoundError } from "../../errors.js";
import {
  type CreateSandboxRequest,
  type OpenShell,
  type SandboxWorkloadTemplateSpec,
  SandboxWorkloadTemplateSpecSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import { invalidArgument } from "../protocol/gateway-errors.js";
import { requiredField } from "../protocol/required-field.js";
import {
  checkSpecEnvironment,
  checkWorkspaceScope,
  parseLabelSelector,
  workspaceOf,
} from "../protocol/validation.js";
import { parseQuantity } from "../sandboxes/resource-quantities.js";
import type { RecordStore } from "../state/record-store.js";
import {
  applyWorkloadTemplate,
  checkTemplatedSpec,
  type TemplatedSandbox,
} from "../templates/template-application.js";
import {
  deleteTemplate,
  findTemplate,
  insertTemplate,
  listTemplates,
  templateSpecOf,
  templateToProto,
} from "../templates/template-records.js";
import { requireActiveWorkspace, requireKnownWorkspace } from "../workspaces/workspace-records.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** SEMANTICS §3: template names are DNS-1123 labels of at most 19 characters. */
const MAX_NAME_CHARS = 19;
const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function checkTemplateName(name: string): void {
  requiredField(name, "template.metadata.name");
  if (name.length > MAX_NAME_CHARS || !dnsLabel.test(name)) {
    throw invalidArgument(
      `template name "${name}" must be a DNS-1123 label of at most ${MAX_NAME_CHARS} characters: ` +
        'lowercase letters, digits and "-", not at either end',
    );
  }
}

/**
 * What a sandbox created from the template would be refused for, refused now instead: variables over
 * the gateway's limits and quantities that are not quantities would otherwise be stored and fail
 * every create that uses them.
 */
function checkTemplateSpec(spec: SandboxWorkloadTemplateSpec): void {
  const workload = spec.workload;
  checkSpecEnvironment(workload?.environment ?? {}, "template.spec.workload.environment");
  for (const key of ["cpu", "memory"] as const) {
    const value = workload?.resources?.[key];
    if (value) parseQuantity(value, `template.spec.workload.resources.${key}`);
  }
  if (spec.driverConfig !== undefined) checkFinite(spec.driverConfig, "template.spec.driver_config");
}

/**
 * A Struct on the wire may carry NaN or an infinity (a double), which no JSON config can hold: the
 * sandbox's stored spec, and any driver reading the config as JSON, would fail on it later.
 */
function checkFinite(value: JsonValue, field: string): void {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw invalidArgument(`${field} is ${value}: driver config numbers must be finite`);
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkFinite(item, `${field}[${i}]`);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) checkFinite(item, `${field}.${key}`);
  }
}

function notFoundTemplate(name: string, workspace: string): NotFoundError {
  return new NotFoundError(
    `sandbox template "${name}" not found in workspace "${workspace}": create it first ` +
      `(os.templates.create({ name: "${name}", image }))`,
  );
}

/**
 * CreateSandboxTemplate, GetSandboxTemplate, ListSandboxTemplates and DeleteSandboxTemplate over the
 * state store's records, as SEMANTICS §3 describes them: workspace-scoped, durable across restarts,
 * with upstream's name rule, per-workspace limit and codes.
 */
export function templateHandlers(records: RecordStore): Handlers {
  return {
    createSandboxTemplate(req) {
      const input = req.template;
      if (!input) throw invalidArgument("template is required");
      const name = input.metadata?.name ?? "";
      checkTemplateName(name);
      const workspace = workspaceOf(req.workspace || input.metadata?.workspace || "");
      const spec = input.spec
        ? clone(SandboxWorkloadTemplateSpecSchema, input.spec)
        : create(SandboxWorkloadTemplateSpecSchema);
      checkTemplateSpec(spec);
      // The check and the insert are one transaction: a workspace deleted meanwhile (by another
      // process sharing the state directory) gets nothing new.
      const stored = records.atomically(() => {
        requireActiveWorkspace(records, workspace);
        return insertTemplate(records, {
          name,
          workspace,
          labels: { ...input.metadata?.labels },
          annotations: { ...input.metadata?.annotations },
          spec,
        });
      });
      return { template: templateToProto(stored) };
    },

    getSandboxTemplate(req) {
      const workspace = workspaceOf(req.workspace);
      const found = findTemplate(records, workspace, requiredField(req.name, "name"));
      if (!found) throw notFoundTemplate(req.name, workspace);
      return { template: templateToProto(found) };
    },

    listSandboxTemplates(req) {
      checkWorkspaceScope(req.workspace, req.allWorkspaces);
      if (!req.allWorkspaces) requireKnownWorkspace(records, workspaceOf(req.workspace));
      const found = listTemplates(records, {
        workspace: req.allWorkspaces ? undefined : workspaceOf(req.workspace),
        selector: parseLabelSelector(req.labelSelector),
        limit: req.limit,
        offset: req.offset,
      });
      return { templates: found.map(templateToProto) };
    },

    deleteSandboxTemplate(req) {
      return {
        deleted: deleteTemplate(records, workspaceOf(req.workspace), requiredField(req.name, "name")),
      };
    },
  };
}

/**
 * What CreateSandbox runs for a request naming `workload_template_name`, checked in upstream's order:
 * the workspace must be active, the template must exist (NOT_FOUND), and the request may add only
 * policy and providers (INVALID_ARGUMENT naming the field). `driver` is the runtime's kind.
 */
export function workloadTemplateResolver(
  records: RecordStore,
  driver: string,
): (req: CreateSandboxRequest, workspace: string) => TemplatedSandbox {
  return (req, workspace) => {
    const name = req.workloadTemplateName;
    requireActiveWorkspace(records, workspace);
    const stored = findTemplate(records, workspace, name);
    if (!stored) throw notFoundTemplate(name, workspace);
    checkTemplatedSpec(req.spec, name);
    return applyWorkloadTemplate(
      { name, resourceVersion: stored.resourceVersion, spec: templateSpecOf(stored) },
      req.spec,
      driver,
    );
  };
}
