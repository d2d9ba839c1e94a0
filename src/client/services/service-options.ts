import { z } from "zod";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import {
  sandboxNameSchema,
  uint32Schema,
  workspaceSchema,
  workspaceScopedListSchema,
} from "../validation/common-schemas.js";

/** Input of {@link ServiceEndpointService.expose}. */
export interface ExposeServiceInput extends WorkspaceOptions {
  /** Name of the sandbox to publish a port of. It must exist; it need not be ready yet. */
  sandbox: string;
  /** The port inside the sandbox (1 to 65535) that receives the traffic, on 127.0.0.1. */
  port: number;
  /**
   * Service name, part of the URL: a lowercase DNS label of at most 19 characters without `--`.
   * Omitted or `""` is the sandbox's unnamed service.
   */
  name?: string;
}

/** Options of {@link ServiceEndpointService.list}. */
export interface ListServicesOptions extends WorkspaceOptions, RequestOptions {
  /** Only the endpoints of this sandbox; omitted lists those of every sandbox. */
  sandbox?: string;
  /** Page size; 0 or omitted lets the gateway choose (100). */
  limit?: number;
  offset?: number;
  /** Every workspace you can see (not together with `workspace`). */
  allWorkspaces?: boolean;
}

/** A service name: `""` (the unnamed service) or a DNS label like a sandbox name (SEMANTICS §11). */
export const serviceNameSchema = z.union([z.literal(""), sandboxNameSchema], {
  error: "must be empty or a DNS-1123 label: lowercase letters, digits and single '-', at most 19 characters",
});

export const exposeServiceSchema = z.strictObject({
  sandbox: sandboxNameSchema,
  port: z
    .number({ error: "is required" })
    .int("must be an integer")
    .min(1, "must be 1 to 65535")
    .max(65_535, "must be 1 to 65535"),
  name: serviceNameSchema.optional(),
  workspace: workspaceSchema,
});

export const listServicesSchema = workspaceScopedListSchema({
  sandbox: sandboxNameSchema.optional(),
  limit: uint32Schema.optional(),
  offset: uint32Schema.optional(),
});
