import { invalidArgument } from "./gateway-errors.js";

/**
 * A request field the call cannot do without: a name or id to look up, a provider to attach. Empty
 * is the caller's mistake, answered INVALID_ARGUMENT "<field> is required" as the upstream gateway
 * words it, before anything is looked up (a lookup of "" would answer NOT_FOUND about a sandbox
 * nobody named, "sandbox  not found").
 *
 * @returns `value`, for use inline.
 */
export function requiredField(value: string, field: string): string {
  if (value === "") throw invalidArgument(`${field} is required`);
  return value;
}
