import { InvalidArgumentError } from "openshell/runtime";
import type { z } from "zod";

/**
 * Parses `value` with `schema`, or throws an InvalidArgumentError whose `field` is the dotted path
 * of the first offending field under `root` (`"deployment.spec.runtimeConfig.port"`), so the
 * registry (and the person reading its condition) learns which field to fix.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [root, ...(issue?.path ?? []).map(String)].filter((part) => part !== "").join(".");
  const message = issue?.message ?? "not valid";
  throw new InvalidArgumentError(`invalid ${field}: ${message}`, { field });
}

/** Throws an InvalidArgumentError naming `field`. */
export function invalidField(field: string, message: string): never {
  throw new InvalidArgumentError(`invalid ${field}: ${message}`, { field });
}
