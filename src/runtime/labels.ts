import { randomUUID } from "node:crypto";

/** Every object a runtime creates carries these labels, so it can be found and removed later. */
export const MANAGED_BY_LABEL = "openshell.ai/managed-by";
export const MANAGED_BY_VALUE = "openshell";
/** The session that created the object; the reaper removes a dead session's objects by it. */
export const SESSION_LABEL = "openshell.ai/session";

/** A new session id: short enough for names, unique enough for a machine's lifetime. */
export function newSessionId(): string {
  return randomUUID().replaceAll("-", "").slice(0, 16);
}

export function sessionLabels(sessionId: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SESSION_LABEL]: sessionId };
}

/** The caller's labels plus the session's; the session's win so a caller cannot hide an object. */
export function withSessionLabels(
  labels: Readonly<Record<string, string>> | undefined,
  sessionId: string,
): Record<string, string> {
  return { ...labels, ...sessionLabels(sessionId) };
}

/** True when `labels` carries every key/value in `selector`. */
export function matchesLabels(
  labels: Readonly<Record<string, string>>,
  selector: Readonly<Record<string, string>> | undefined,
): boolean {
  if (selector === undefined) return true;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
