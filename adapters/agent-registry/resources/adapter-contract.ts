import { z } from "zod";
import { conditionSchema } from "./condition.js";

// The answers of the registry's DeploymentAdapter contract (pkg/types/adapter.go), as JSON: what
// apply, remove, logs and discover return. Schemas too, so that a client of the adapter served
// over HTTP validates what it receives.

/** What `apply` answers: conditions, the runtime metadata the registry stores as annotations, details. */
export const adapterApplyResultSchema = z.object({
  conditions: z.array(conditionSchema),
  runtimeMetadata: z.record(z.string(), z.string()),
  details: z.record(z.string(), z.unknown()),
});

/** What `apply` answers. */
export type AdapterApplyResult = z.output<typeof adapterApplyResultSchema>;

/** What `remove` answers. */
export const adapterRemoveResultSchema = z.object({ conditions: z.array(conditionSchema) });

/** What `remove` answers. */
export type AdapterRemoveResult = z.output<typeof adapterRemoveResultSchema>;

/** One line of a deployment's logs. */
export const logLineSchema = z.object({
  timestamp: z.iso.datetime({ offset: true }),
  stream: z.string().min(1, "must not be empty"),
  line: z.string(),
});

/** One line of a deployment's logs: when, which stream (`stdout`, `stderr`), and the text. */
export type LogLine = z.output<typeof logLineSchema>;

/** The registry caps `tailLines` at this many lines. */
export const MAX_TAIL_LINES = 10_000;

/** One thing running on the runtime that the registry did not deploy, as `discover` reports it. */
export const discoveredTargetSchema = z.object({
  targetKind: z.string().min(1, "must not be empty"),
  namespace: z.string(),
  name: z.string().min(1, "must not be empty"),
  tag: z.string().optional(),
  runtimeMetadata: z.record(z.string(), z.string()),
});

/** Something `discover` found. */
export type DiscoveredTarget = z.output<typeof discoveredTargetSchema>;
