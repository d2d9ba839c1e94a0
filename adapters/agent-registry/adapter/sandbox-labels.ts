import { IDENTITY_LABELS, identityLabels, LABEL_PREFIX } from "../naming/identity.js";
import type { ApplyInput } from "../resources/apply-input.js";

/** Labels of a deployment's sandbox beyond its identity: what a new adapter instance needs to adopt it. */
export const SANDBOX_LABELS = {
  /** The first 32 hex characters of the apply input's fingerprint: a changed spec replaces the sandbox. */
  fingerprint: `${LABEL_PREFIX}fingerprint`,
  /** The agent's port inside the sandbox. */
  port: `${LABEL_PREFIX}port`,
  /** `A2A` or `HTTP`. */
  protocol: `${LABEL_PREFIX}protocol`,
} as const;

/** The fingerprint as a label value (label values hold at most 63 characters). */
export function fingerprintLabel(fingerprint: string): string {
  return fingerprint.slice(0, 32);
}

/** Every label of a deployment's sandbox: its full identity, the fingerprint, and how its agent is reached. */
export function deploymentSandboxLabels(
  input: ApplyInput,
  fingerprint: string,
  agent: { port: number; protocol: "A2A" | "HTTP" },
): Record<string, string> {
  return {
    ...identityLabels(input.deployment, input.target),
    [SANDBOX_LABELS.fingerprint]: fingerprintLabel(fingerprint),
    [SANDBOX_LABELS.port]: String(agent.port),
    [SANDBOX_LABELS.protocol]: agent.protocol,
  };
}

/** The agent's port and protocol as a sandbox's labels record them, or undefined when they do not. */
export function agentFromLabels(
  labels: Readonly<Record<string, string>>,
): { port: number; protocol: "A2A" | "HTTP" } | undefined {
  const port = Number(labels[SANDBOX_LABELS.port]);
  const protocol = labels[SANDBOX_LABELS.protocol];
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  if (protocol !== "A2A" && protocol !== "HTTP") return undefined;
  return { port, protocol };
}

/** True when a sandbox's labels say this adapter made it. */
export function isManaged(labels: Readonly<Record<string, string>>): boolean {
  return labels[IDENTITY_LABELS.managedBy] !== undefined;
}
