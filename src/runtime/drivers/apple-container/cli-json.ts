import { z } from "zod";
import { ContainerRuntimeError } from "../../../errors.js";
import { KIND } from "./cli-errors.js";

/**
 * Parses what a `--format json` command printed and checks its shape. Every problem is a
 * ContainerRuntimeError that names the command and the field, so a CLI whose output changed shape
 * is reported as such rather than as a crash further on.
 */
export function parseCliJson<S extends z.ZodType>(
  stdout: string,
  schema: S,
  commandLine: string,
): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (error) {
    throw new ContainerRuntimeError(
      `\`${commandLine}\` did not print JSON (${(error as Error).message}); is this CLI older than the driver expects?`,
      { runtime: KIND, cause: error },
    );
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  throw new ContainerRuntimeError(
    `\`${commandLine}\` printed JSON of an unexpected shape (${field === "" ? "top level" : `field ${field}`}: ` +
      `${issue?.message ?? "rejected"}); this version of the container CLI is not supported by the driver.`,
    { runtime: KIND },
  );
}

/** Labels as the CLI prints them; absent or null means none. */
export const labelsSchema = z
  .record(z.string(), z.string())
  .nullish()
  .transform((labels) => labels ?? {});

/** A date as either JSON generation prints it: ISO 8601 text (1.0+) or a number (before 1.0). */
export const cliDateSchema = z.union([z.string(), z.number()]).nullish();

/** Apple's reference date, 2001-01-01T00:00:00Z, which Swift's default date encoding counts from. */
const APPLE_REFERENCE_DATE_MS = Date.UTC(2001, 0, 1);
/** A reference-date count this large would be after 2039: below it a number is read as one. */
const UNIX_SECONDS_FROM = 1.2e9;
/** Unix milliseconds from here on (1973 as milliseconds, the year 5138 as seconds). */
const UNIX_MILLISECONDS_FROM = 1e11;

/**
 * Reads a date from CLI JSON. Text is ISO 8601 (the 1.0+ CLI encodes dates that way). A number is
 * what Swift's default `JSONEncoder` date strategy writes, which the pre-1.0 CLI used: seconds since
 * Apple's reference date 2001-01-01. A number of at least 1.2e9 cannot be such a count for any date
 * before 2039, so it is taken as Unix seconds (and one of at least 1e11 as Unix milliseconds), which
 * is what tools that re-encode the output write.
 */
export function parseCliDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") {
    const time = Date.parse(value);
    return Number.isNaN(time) ? null : new Date(time);
  }
  if (!Number.isFinite(value)) return null;
  if (value >= UNIX_MILLISECONDS_FROM) return new Date(value);
  if (value >= UNIX_SECONDS_FROM) return new Date(value * 1000);
  return new Date(APPLE_REFERENCE_DATE_MS + value * 1000);
}
