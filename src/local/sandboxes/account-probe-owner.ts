import { randomUUID } from "node:crypto";
import { hostname } from "node:os";

/** Marks the short-lived containers that read an image's accounts, beside the gateway's own labels. */
export const ACCOUNT_PROBE_LABEL = "openshell.ai/account-probe";

/**
 * Which process made a probe container (`<host>/<pid>`), so a gateway starting on a state directory
 * another live process shares removes only the probes no one is still reading from.
 */
export const ACCOUNT_PROBE_OWNER_LABEL = "openshell.ai/account-probe-owner";

/** The names of the probe containers this process has in flight (made, not yet removed). */
const inFlight = new Set<string>();

/**
 * A name for a new probe container, marked in flight until `done` is called. The probe is known by
 * its name before it exists, so a create whose answer is lost can still be removed.
 */
export function claimProbeName(): { name: string; done: () => void } {
  const name = `openshell-account-probe-${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  inFlight.add(name);
  return { name, done: () => inFlight.delete(name) };
}

/** The labels a probe container gets besides the gateway's: the probe mark and its owner. */
export function probeLabels(): Record<string, string> {
  return { [ACCOUNT_PROBE_LABEL]: "true", [ACCOUNT_PROBE_OWNER_LABEL]: `${hostname()}/${process.pid}` };
}

/** A container the account probe made (the probe label as the probe sets it). */
export function isAccountProbe(labels: Readonly<Record<string, string>>): boolean {
  return labels[ACCOUNT_PROBE_LABEL] === "true";
}

/**
 * Whether no process is reading from this probe container any more: one of this process that is
 * not in flight, one whose process on this host has ended, or one that says no owner (made by hand,
 * or by an SDK before the owner label). A probe of another host is never taken for left.
 */
export function probeLeft(container: { name: string; labels: Readonly<Record<string, string>> }): boolean {
  const owner = /^(.*)\/(\d+)$/.exec(container.labels[ACCOUNT_PROBE_OWNER_LABEL] ?? "");
  if (owner === null) return true;
  const [, host, pid] = owner;
  if (host !== hostname()) return false;
  if (Number(pid) === process.pid) return !inFlight.has(container.name);
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    // EPERM: the process is there, only not ours to signal.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
