import { InvalidArgumentError } from "../../errors.js";
import { RUNTIME_KINDS, type RuntimeKind } from "../runtime-info.js";
import { type Env, envValue } from "./detection-context.js";

/** A runtime by name, or `"auto"`: no choice, let OPENSHELL_RUNTIME or probing decide. */
export type RuntimeSelection = RuntimeKind | "auto";

const selections: readonly string[] = [...RUNTIME_KINDS, "auto"];

/**
 * Reads a runtime name as users write it (any case, surrounding spaces ignored).
 *
 * @param field the option or variable the value came from, named in the error.
 * @throws InvalidArgumentError listing the valid values.
 */
export function parseRuntimeKind(value: string, field: string): RuntimeSelection {
  const normalized = value.trim().toLowerCase();
  if (selections.includes(normalized)) return normalized as RuntimeSelection;
  throw new InvalidArgumentError(
    `${field}: ${JSON.stringify(value)} is not a container runtime; use one of ${RUNTIME_KINDS.join(", ")}, ` +
      `or "auto" to detect one.`,
    { field },
  );
}

/** Which runtime was asked for, and who asked. */
export interface RuntimeChoice {
  /** Undefined: none was asked for, probe everything. */
  kind: RuntimeKind | undefined;
  /** `"option runtime"`, `"OPENSHELL_RUNTIME"` or `"OPEN_SHELL_RUNTIME"`; undefined with kind. */
  from: string | undefined;
}

/** Variables that choose the runtime, first match wins (the second is a spelling people use). */
export const RUNTIME_VARIABLES = ["OPENSHELL_RUNTIME", "OPEN_SHELL_RUNTIME"] as const;

/**
 * The option beats the variables. `"auto"` (as the option or a variable) chooses nothing, so an
 * operator's OPENSHELL_RUNTIME still steers code that passes `runtime: "auto"`.
 */
export function chooseRuntime(option: string | undefined, env: Env): RuntimeChoice {
  if (option !== undefined) {
    const kind = parseRuntimeKind(option, "runtime");
    if (kind !== "auto") return { kind, from: "option runtime" };
  }
  for (const name of RUNTIME_VARIABLES) {
    const value = envValue(env, name);
    if (value === undefined) continue;
    const kind = parseRuntimeKind(value, name);
    return kind === "auto" ? { kind: undefined, from: undefined } : { kind, from: name };
  }
  return { kind: undefined, from: undefined };
}
