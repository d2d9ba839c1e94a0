import { z } from "zod";
import { workspaceSchema } from "../validation/common-schemas.js";

/**
 * `ready()` and `deleted()` options, checked before the id lookup: a `timeoutMs` that is not a
 * number made the wait give up at once ("gave up after x ms") after a call to the gateway.
 */
export const waitOptionsSchema = z
  .object({
    timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
    signal: z.instanceof(AbortSignal).optional(),
    workspace: workspaceSchema,
  })
  .strict();
