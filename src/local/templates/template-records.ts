import { randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ResourceExhaustedError } from "../../errors.js";
import {
  type SandboxWorkloadTemplate,
  SandboxWorkloadTemplateSchema,
  type SandboxWorkloadTemplateSpec,
  SandboxWorkloadTemplateSpecSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import { matchesLabels, page } from "../protocol/validation.js";
import type { RecordStore, StoredRecord } from "../state/record-store.js";

/** The record kind workload templates are stored under; the scope is the template's workspace. */
export const WORKLOAD_TEMPLATE_KIND = "workload-template";

/** SEMANTICS §3: at most this many templates in one workspace (more is RESOURCE_EXHAUSTED). */
export const MAX_TEMPLATES_PER_WORKSPACE = 1000;

/** ListSandboxTemplates pages like ListSandboxes: `limit` 0 means 100, at most 1000. */
export const templatePaging = { defaultLimit: 100, maxLimit: 1000 } as const;

/**
 * What the store keeps of a template. Its name, workspace, creation time and resource version are
 * the record's own. The spec is kept as the protobuf encoding (base64), not protobuf JSON: that is
 * what was sent, exactly, including fields a later protocol adds and values JSON cannot hold (a
 * duration past JSON's range), so GetSandboxTemplate answers with what CreateSandboxTemplate got.
 */
export interface WorkloadTemplateRecord {
  id: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** SandboxWorkloadTemplateSpec, binary, base64. */
  spec: string;
}

/** A template as the store holds it, ready to be answered or applied. */
export type StoredTemplate = StoredRecord<WorkloadTemplateRecord>;

/** How errors about a stored template name it. */
export const templateLabel = (name: string, workspace: string): string =>
  `sandbox template "${name}" in workspace "${workspace}"`;

/** A new template as CreateSandboxTemplate validated it. */
export interface NewTemplate {
  name: string;
  workspace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: SandboxWorkloadTemplateSpec;
}

/**
 * Stores a new template at resource version 1. The count and the insert are one transaction, so two
 * gateways sharing a state directory cannot together pass the per-workspace limit.
 *
 * @throws AlreadyExistsError for a name the workspace already holds; ResourceExhaustedError at the limit.
 */
export function insertTemplate(records: RecordStore, input: NewTemplate): StoredTemplate {
  return records.atomically(() => {
    if (records.count(WORKLOAD_TEMPLATE_KIND, input.workspace) >= MAX_TEMPLATES_PER_WORKSPACE) {
      throw new ResourceExhaustedError(
        `workspace "${input.workspace}" already holds ${MAX_TEMPLATES_PER_WORKSPACE} sandbox templates, ` +
          "the most one workspace may hold: delete templates no longer used (os.templates.delete) first",
      );
    }
    const record: WorkloadTemplateRecord = {
      id: randomUUID(),
      labels: input.labels,
      annotations: input.annotations,
      spec: Buffer.from(toBinary(SandboxWorkloadTemplateSpecSchema, input.spec)).toString("base64"),
    };
    return records.insert(WORKLOAD_TEMPLATE_KIND, input.workspace, input.name, record, templateLabel);
  });
}

/** The stored template, or undefined. */
export function findTemplate(
  records: RecordStore,
  workspace: string,
  name: string,
): StoredTemplate | undefined {
  return records.get<WorkloadTemplateRecord>(WORKLOAD_TEMPLATE_KIND, workspace, name);
}

/** What ListSandboxTemplates asks for, with the workspace already resolved (undefined = all). */
export interface TemplateQuery {
  workspace: string | undefined;
  selector: [string, string][];
  limit: number;
  offset: number;
}

/** One page of templates matching the labels, by workspace then name (a stable order to page through). */
export function listTemplates(records: RecordStore, query: TemplateQuery): StoredTemplate[] {
  const matching = records
    .list<WorkloadTemplateRecord>(WORKLOAD_TEMPLATE_KIND, query.workspace)
    .filter((t) => matchesLabels(t.record.labels, query.selector))
    .sort((a, b) => a.scope.localeCompare(b.scope) || a.name.localeCompare(b.name));
  return page(matching, query.limit, query.offset, templatePaging);
}

/** True when the template existed (there is no in-use check: sandboxes keep their own snapshot). */
export function deleteTemplate(records: RecordStore, workspace: string, name: string): boolean {
  return records.delete(WORKLOAD_TEMPLATE_KIND, workspace, name);
}

/** The stored template's spec as a message. */
export function templateSpecOf(stored: StoredTemplate): SandboxWorkloadTemplateSpec {
  return fromBinary(SandboxWorkloadTemplateSpecSchema, Buffer.from(stored.record.spec, "base64"));
}

/** The stored template as the protocol carries it. */
export function templateToProto(stored: StoredTemplate): SandboxWorkloadTemplate {
  return create(SandboxWorkloadTemplateSchema, {
    metadata: {
      id: stored.record.id,
      name: stored.name,
      workspace: stored.scope,
      labels: { ...stored.record.labels },
      annotations: { ...stored.record.annotations },
      createdAtMs: BigInt(stored.createdMs),
      resourceVersion: BigInt(stored.resourceVersion),
    },
    spec: templateSpecOf(stored),
  });
}
