import type { z } from "zod";
import { InvalidArgumentError } from "../errors.js";

/**
 * Parses a public input with its schema before anything is sent. The error names the first offending
 * field by its dotted path, so `env.1FOO` or `command.3` points straight at the mistake.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  // A bad record key is reported as "Invalid key in record", with the key schema's own words nested.
  const nested = first?.code === "invalid_key" ? first.issues[0] : undefined;
  const issue = nested === undefined ? first : { ...nested, path: first?.path ?? [] };
  const field = issue?.path.map(String).join(".") || undefined;
  const where = field ? `${what}.${field}` : what;
  throw new InvalidArgumentError(`invalid ${where}: ${issue?.message ?? "rejected"}`, {
    field: field ?? what,
  });
}
