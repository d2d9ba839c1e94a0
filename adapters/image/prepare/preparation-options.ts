import { InvalidArgumentError } from "openshell/runtime";
import { MAX_ID } from "./account-ids.js";

/** What preparation may add beyond the requirements, and the ids of what it creates. */
export interface PreparationOptions {
  /** Also install iptables (optional requirement: bypass detection). Default false. */
  iptables?: boolean;
  /**
   * uid/gid for the sandbox user and group when they must be created, each from 1 to 2147483646.
   * Default: 1000 when free in the image, else the first id from 1000 free in it (the same number
   * for both when one is free for both). An id held by another name, or a `sandbox` user or group
   * that already exists with another id, makes the plan unmet rather than being ignored.
   */
  user?: { uid?: number; gid?: number };
}

/** The options with their types checked; each error names its field (`iptables`, `user.uid`). */
export function checkPreparationOptions(options: unknown): {
  iptables: boolean;
  uid: number | undefined;
  gid: number | undefined;
} {
  if (options === undefined) return { iptables: false, uid: undefined, gid: undefined };
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidArgumentError(`options must be an object, not ${describe(options)}.`, {
      field: "options",
    });
  }
  const { iptables, user } = options as { iptables?: unknown; user?: unknown };
  if (iptables !== undefined && typeof iptables !== "boolean") {
    throw new InvalidArgumentError(`iptables must be true or false, not ${describe(iptables)}.`, {
      field: "iptables",
    });
  }
  if (user === undefined) return { iptables: iptables === true, uid: undefined, gid: undefined };
  if (user === null || typeof user !== "object" || Array.isArray(user)) {
    throw new InvalidArgumentError(
      `user must be an object such as { uid: 1000, gid: 1000 }, not ${describe(user)}.`,
      {
        field: "user",
      },
    );
  }
  const { uid, gid } = user as { uid?: unknown; gid?: unknown };
  return { iptables: iptables === true, uid: checkId(uid, "user.uid"), gid: checkId(gid, "user.gid") };
}

function checkId(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_ID) {
    const zero = value === 0 ? " (0 is root's, which OpenShell refuses)" : "";
    throw new InvalidArgumentError(
      `${field} must be an integer from 1 to ${MAX_ID}, not ${describe(value)}${zero}; leave it out to use the first free id from 1000.`,
      { field },
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
    return String(value);
  }
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}
