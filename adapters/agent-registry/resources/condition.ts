import { z } from "zod";

/** Condition statuses, as in Kubernetes. */
export const CONDITION_STATUSES = ["True", "False", "Unknown"] as const;

/** `"True"`, `"False"` or `"Unknown"`. */
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

/**
 * The condition types this adapter reports. The registry's CLI shows `Ready` as deployed,
 * `Degraded` as failed and `Progressing` as deploying; `RuntimeConfigured` is the registry's own.
 */
export type ConditionType = "Progressing" | "Ready" | "Degraded" | "RuntimeConfigured";

/**
 * The registry's `Condition` (openapi-subset.json): `type` and `status` required. `type` stays an
 * open string on input because the registry persists types of its own.
 */
export const conditionSchema = z.object({
  type: z.string().min(1, "must not be empty"),
  status: z.enum(CONDITION_STATUSES),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.iso.datetime({ offset: true }).optional(),
});

/** One condition of a resource's status. */
export type Condition = z.output<typeof conditionSchema>;

/** What {@link setCondition} writes: the condition without its transition time. */
export interface ConditionUpdate {
  /** Which condition. */
  type: ConditionType;
  /** Its new status. */
  status: ConditionStatus;
  /** A CamelCase reason a program can switch on (`ImageNotFound`, `Removed`). */
  reason: string;
  /** What happened and what to do next, for a person. */
  message: string;
}

/**
 * Returns `conditions` with `update` applied: the condition of that type is replaced in place (or
 * appended). As in Kubernetes, `lastTransitionTime` moves to `now` only when the status changes,
 * so it says since when the condition has held; a new reason or message alone keeps it.
 * The input array is not modified.
 */
export function setCondition(
  conditions: readonly Condition[] | null | undefined,
  update: ConditionUpdate,
  now: Date = new Date(),
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === update.type);
  const previous = index === -1 ? undefined : list[index];
  const lastTransitionTime =
    previous !== undefined && previous.status === update.status && previous.lastTransitionTime !== undefined
      ? previous.lastTransitionTime
      : now.toISOString();
  const next: Condition = { ...update, lastTransitionTime };
  if (index === -1) list.push(next);
  else list[index] = next;
  return list;
}

/** The condition of `type` in `conditions`, if there is one. */
export function findCondition(
  conditions: readonly Condition[] | null | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}
