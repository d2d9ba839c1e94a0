import { z } from "zod";
import { envelope } from "./meta.js";

/** The registry's `RuntimeSpec`: `type` picks the adapter (exact match); `config` is the adapter's. */
export const runtimeSpecSchema = z.object({
  type: z.string().min(1, "must not be empty"),
  config: z.record(z.string(), z.unknown()).optional(),
  telemetryEndpoint: z.string().optional(),
});

/** What a Runtime says. */
export type RuntimeSpec = z.output<typeof runtimeSpecSchema>;

/** The registry's `Runtime`: where deployments run. */
export const runtimeSchema = z.object({
  ...envelope,
  kind: z.literal("Runtime"),
  spec: runtimeSpecSchema,
});

/** A registry Runtime. */
export type Runtime = z.output<typeof runtimeSchema>;
