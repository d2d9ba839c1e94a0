import { z } from "zod";
import { workspaceSchema } from "../validation/common-schemas.js";

const count = z.number().int().min(0).max(100_000).optional();

/**
 * `sandboxes.watch()` options, checked before the id lookup: a `logSince` that is not a Date, a
 * `handshakeTimeoutMs` that is not a number or a misspelt option would otherwise fail deep inside
 * the call (a TypeError, a deadline of "[object Object] ms") or be ignored.
 */
export const watchOptionsSchema = z
  .object({
    status: z.boolean().optional(),
    logs: z.boolean().optional(),
    events: z.boolean().optional(),
    logTailLines: count,
    eventTail: count,
    logSince: z.date().optional(),
    logSources: z.array(z.string().min(1, "must not be empty")).optional(),
    logMinLevel: z.string().optional(),
    workspace: workspaceSchema,
    signal: z.instanceof(AbortSignal).optional(),
    handshakeTimeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
  })
  .strict();
