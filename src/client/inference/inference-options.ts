import { z } from "zod";
import type { WorkspaceOptions } from "../request-options.js";
import { objectNameSchema, workspaceSchema } from "../validation/common-schemas.js";

/** Input of {@link InferenceService.setRoute}. */
export interface SetInferenceRouteInput extends WorkspaceOptions {
  /** Name of the provider (from `os.providers`) whose credentials serve the route. */
  provider: string;
  /** Model id to request from the provider (`"gpt-4o-mini"`). */
  model: string;
  /**
   * Route to set. Omitted or `""` means the default route, `"inference.local"`, which agents in a
   * sandbox reach at `https://inference.local`; `"sandbox-system"` is the route of the sandbox's own
   * system calls.
   */
  routeName?: string;
  /**
   * Whether the gateway checks the provider's endpoint before saving the route: `true` forces the
   * check, `false` skips it, omitted leaves the gateway's default.
   */
  verify?: boolean;
  /** Upstream request timeout in seconds; omitted or 0 means the gateway's default of 60. */
  timeoutSecs?: number;
}

/** "" and undefined both mean the default route; anything else must be a name. */
export const routeNameSchema = z.union([z.literal(""), objectNameSchema]).optional();

export const setRouteSchema = z.object({
  provider: objectNameSchema,
  model: z
    .string({ error: "is required" })
    .trim()
    .min(1, "is required")
    .max(1024, "must be at most 1024 characters"),
  routeName: routeNameSchema,
  verify: z.boolean().optional(),
  timeoutSecs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  workspace: workspaceSchema,
});
