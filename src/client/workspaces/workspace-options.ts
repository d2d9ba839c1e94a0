import { z } from "zod";
import type { RequestOptions } from "../request-options.js";
import { labelsSchema, sandboxNameSchema, uint32Schema } from "../validation/common-schemas.js";
import type { WorkspaceRoleName } from "./workspace-info.js";

/** Input of {@link WorkspaceService.create}. */
export interface CreateWorkspaceInput {
  /** A DNS-1123 label of at most 19 characters: lowercase letters, digits and single `-`. */
  name: string;
  labels?: Record<string, string>;
}

/** Options of {@link WorkspaceService.list}. */
export interface ListWorkspacesOptions extends RequestOptions {
  /** Page size; 0 or omitted lets the gateway choose. */
  limit?: number;
  offset?: number;
  /** Only workspaces carrying every one of these labels. */
  labels?: Record<string, string>;
}

/** Options of {@link WorkspaceService.listMembers}. */
export interface ListWorkspaceMembersOptions extends RequestOptions {
  /** Page size; 0 or omitted lets the gateway choose. */
  limit?: number;
  offset?: number;
}

/** Options of {@link WorkspaceService.addMember}. */
export interface AddWorkspaceMemberOptions extends RequestOptions {
  /** Defaults to `"user"`. Only platform admins can grant `"admin"`. */
  role?: WorkspaceRoleName;
}

/** Workspace names follow the sandbox-name rule (SEMANTICS §12). */
export const workspaceNameSchema = sandboxNameSchema;

export const createWorkspaceSchema = z.strictObject({
  name: workspaceNameSchema,
  labels: labelsSchema.optional(),
});

export const listWorkspacesSchema = z.object({
  limit: uint32Schema.optional(),
  offset: uint32Schema.optional(),
  labels: labelsSchema.optional(),
});

export const listMembersSchema = z.object({
  limit: uint32Schema.optional(),
  offset: uint32Schema.optional(),
});

/** A principal subject: whatever identifies the principal to the gateway, never empty. */
export const subjectSchema = z
  .string()
  .min(1, "must not be empty")
  .max(1024, "must be at most 1024 characters");

export const addMemberSchema = z.object({
  role: z.enum(["user", "admin"], { error: 'must be "user" or "admin"' }).optional(),
});
