/** The environment discovery reads: `process.env`, or the caller's stand-in. */
export type Env = Record<string, string | undefined>;

/** A variable's value with surrounding whitespace removed; blank counts as unset. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * The CLI's reading of boolean flags: set means on, except the spellings people use to mean off.
 * Anything else (`1`, `yes`, `true`, even `no`) turns it on, matching upstream.
 */
export function envFlag(env: Env, name: string): boolean {
  const value = env[name]?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}
