import type { JsonObject } from "@bufbuild/protobuf";
import { z } from "zod";
import { jsonObjectSchema } from "../../validation/message-init.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import {
  labelsSchema,
  sandboxEnvSchema,
  sandboxNameSchema,
  uint32Schema,
  workspaceSchema,
  workspaceScopedListSchema,
} from "../validation/common-schemas.js";

/** Input of {@link TemplateService.create}: everything a sandbox created from the template runs with. */
export interface CreateTemplateInput extends WorkspaceOptions {
  /** Template name: a DNS-1123 label of at most 19 characters, unique in its workspace. */
  name: string;
  /** Container image of every sandbox created from the template. Omitted: the gateway's default image. */
  image?: string;
  /** Environment of the sandboxes' main process and execs (at most 128 entries). */
  env?: Record<string, string>;
  /** Kubernetes-style quantities (`500m`, `2`; `512Mi`, `2Gi`); sandboxes get them as limits. */
  resources?: { cpu?: string; memory?: string };
  /** Number of GPUs. */
  gpus?: number;
  /** Per-driver settings, keyed by compute driver name. */
  driverConfig?: JsonObject;
  /** Object labels, matched by `templates.list({ labels })`. */
  labels?: Record<string, string>;
  /** Desired startup service level: sandboxes ready within `readyWithinMs`, at most `maxBurst` at once. */
  startup?: { readyWithinMs?: number; maxBurst?: number };
}

/** Options of {@link TemplateService.list}. */
export interface ListTemplatesOptions extends WorkspaceOptions, RequestOptions {
  /** Only templates carrying all of these labels. */
  labels?: Record<string, string>;
  /** Page size; 0 or omitted lets the gateway choose. */
  limit?: number;
  offset?: number;
  /** Every workspace you can see (not together with `workspace`). */
  allWorkspaces?: boolean;
}

/** SEMANTICS §3: template names are DNS-1123 labels of at most 19 characters, like sandbox names. */
export const templateNameSchema = sandboxNameSchema;

const quantity = z
  .string()
  .regex(
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/,
    "must be a quantity like 500m, 2, 512Mi or 2Gi",
  );

export const createTemplateSchema = z.strictObject({
  name: templateNameSchema,
  image: z.string().max(4096).optional(),
  env: sandboxEnvSchema.optional(),
  resources: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
  gpus: z.number().int().min(0).max(64).optional(),
  driverConfig: jsonObjectSchema.optional(),
  labels: labelsSchema.optional(),
  startup: z
    .strictObject({
      readyWithinMs: z.number().int("must be whole milliseconds").positive().optional(),
      maxBurst: uint32Schema.optional(),
    })
    .optional(),
  workspace: workspaceSchema,
});

export const listTemplatesSchema = workspaceScopedListSchema({
  labels: labelsSchema.optional(),
  limit: uint32Schema.optional(),
  offset: uint32Schema.optional(),
});
