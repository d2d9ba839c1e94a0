import type { z } from "zod";
import { InvalidArgumentError } from "../errors.js";
import { unsendableIssue } from "./sendable.js";

/** Where a parse or walk went wrong, with zod's path. */
interface Problem {
  path: readonly PropertyKey[];
  message: string;
}

export interface ValidateOptions {
  /**
   * The input is itself this field of the caller's call (`command` of `exec(command)`): paths inside
   * it are reported under it (`command.3`), not as bare indexes.
   */
  field?: string;
}

/** Path segments longer than this are shortened in messages (the `field` property keeps them whole). */
const maxSegmentInMessage = 64;

/**
 * Parses a public input with its schema before anything is sent. The error names the first offending
 * field by its dotted path, so `env.1FOO` or `command.3` points straight at the mistake. An input
 * the schema accepts is also refused when it would not reach the gateway as written (an own
 * `__proto__` key, which zod drops; an unpaired surrogate, which UTF-8 cannot carry).
 */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  options: ValidateOptions = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) {
    const unsendable = unsendableIssue(input);
    if (unsendable === undefined) return result.data;
    throw rejection(what, options.field, unsendable);
  }
  throw rejection(what, options.field, firstProblem(result.error.issues));
}

function firstProblem(issues: readonly z.core.$ZodIssue[]): Problem {
  const first = issues[0];
  if (first === undefined) return { path: [], message: "rejected" };
  // A bad record key is reported as "Invalid key in record", with the key schema's own words nested.
  if (first.code === "invalid_key" && first.issues[0])
    return { path: first.path, message: first.issues[0].message };
  // An unknown option is named by its own path, so `field` says which one it is.
  if (first.code === "unrecognized_keys" && first.keys[0] !== undefined) {
    return { path: [...first.path, first.keys[0]], message: "is not an option here (check its spelling)" };
  }
  return { path: first.path, message: first.message };
}

function rejection(what: string, prefix: string | undefined, problem: Problem): InvalidArgumentError {
  const segments = [...(prefix === undefined ? [] : [prefix]), ...problem.path.map(String)];
  const field = segments.join(".") || undefined;
  const shown = segments.map((s) =>
    s.length > maxSegmentInMessage ? `${s.slice(0, maxSegmentInMessage - 4)}...` : s,
  );
  const named = prefix === undefined ? [what, ...shown] : shown;
  return new InvalidArgumentError(`invalid ${named.join(".")}: ${problem.message}`, { field: field ?? what });
}
