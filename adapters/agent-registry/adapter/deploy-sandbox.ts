import { type CreateSandboxOptions, NotFoundError, type OpenShell, type SandboxInfo } from "openshell";
import { ModelAccessError } from "../errors.js";
import type { SandboxModelAccess } from "../model/sandbox-model-access.js";
import { deploymentSelector } from "../naming/identity.js";
import type { ApplyInput } from "../resources/apply-input.js";
import { agentCommand } from "./agent-command.js";
import type { DeploymentRecord } from "./deployment-record.js";
import { type DeploymentReason, degraded, progressing } from "./deployment-status.js";
import { type AgentEndpoint, followDeployment } from "./follow-deployment.js";
import { deploymentSandboxLabels, fingerprintLabel, SANDBOX_LABELS } from "./sandbox-labels.js";

/** Prepares model access for one apply; throws an error with a `reason` when the model cannot be served. */
export type PrepareModelAccess = (input: ApplyInput, signal: AbortSignal) => Promise<SandboxModelAccess>;

/** Everything one deploy needs. */
export interface DeployRequest {
  client: OpenShell;
  input: ApplyInput;
  record: DeploymentRecord;
  agent: AgentEndpoint;
  /** Defaults set for every agent, under the deployment's own `env`. */
  defaultEnv: Record<string, string>;
  /** Arguments the target's package adds after the image's own command. */
  extraArgs: string[];
  prepareModelAccess: PrepareModelAccess;
  /** Bounds each gateway call of the deploy. */
  callTimeoutMs: number;
}

/**
 * A deploy in the background: adopt the deployment's sandbox when one with the same fingerprint is
 * already there (a new adapter instance after a restart), else remove what an earlier spec left,
 * decide the command, prepare model access, create the sandbox, and follow it until the deployment
 * ends. Never throws: every failure becomes `Degraded` with its reason, unless the record was
 * cancelled (remove, a changed spec, the adapter closing), in which case it just stops.
 */
export async function deploySandbox(request: DeployRequest): Promise<void> {
  const { client, input, record, agent } = request;
  const signal = record.controller.signal;
  const name = record.sandboxName;
  const fail = (reason: DeploymentReason, message: string) =>
    record.update((c) => degraded(c, reason, message));
  try {
    const existing = await client.sandboxes.list({ labels: deploymentSelector(input.deployment), signal });
    const same = existing.find((s) => isCurrent(s, name, record.fingerprint));
    if (same === undefined) {
      for (const old of existing) await removeSandbox(client, old.name, signal);
      const command = await agentCommand(client, input.image, input.config.command, signal);
      if (!command.ok) return fail(command.reason, command.message);
      const access = await request.prepareModelAccess(input, signal);
      if (signal.aborted) return;
      record.update((c) =>
        progressing(c, "CreatingSandbox", `creating sandbox "${name}" from image "${input.image}"`),
      );
      const options: CreateSandboxOptions = {
        name,
        image: input.image,
        command: command.source === "image" ? [...command.command, ...request.extraArgs] : command.command,
        env: { ...request.defaultEnv, ...access.env, ...(input.deployment.spec.env ?? {}) },
        labels: deploymentSandboxLabels(input, record.fingerprint, agent),
        ...(access.providers.length > 0 ? { providers: access.providers } : {}),
        ...(access.policy !== undefined ? { policy: access.policy } : {}),
        ...(input.config.resources !== undefined ? { resources: input.config.resources } : {}),
      };
      // Not cancelled by the record's signal: a create the gateway carries out after the client gave
      // up would leave a sandbox nobody removes. It is short; remove waits for it, then deletes.
      const created = await client.sandboxes.create(options, { timeoutMs: request.callTimeoutMs });
      record.update(
        (c) => progressing(c, "WaitingForSandbox", `sandbox "${name}" created; waiting for it to be ready`),
        { sandboxId: await created.id() },
      );
    } else {
      record.update(
        (c) =>
          progressing(
            c,
            "WaitingForSandbox",
            `found sandbox "${name}" made for this deployment; following it`,
          ),
        { sandboxId: same.id },
      );
    }
    if (signal.aborted) return;
    await followDeployment(client, record, agent);
  } catch (err) {
    if (signal.aborted) return;
    const { reason, message } = classify(err, input.image);
    fail(reason, message);
  }
}

/** A sandbox of this deployment that can be adopted: same name and fingerprint, not on its way out. */
function isCurrent(sandbox: SandboxInfo, name: string, fingerprint: string): boolean {
  return (
    sandbox.name === name &&
    sandbox.labels[SANDBOX_LABELS.fingerprint] === fingerprintLabel(fingerprint) &&
    sandbox.phase !== "deleting"
  );
}

/** Deletes a sandbox and waits until the gateway no longer has it (its name can then be used again). */
export async function removeSandbox(
  client: OpenShell,
  name: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await client.sandboxes.delete(name, signal ? { signal } : {});
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  await client.sandboxes.deleted(name, signal ? { signal, timeoutMs: 120_000 } : { timeoutMs: 120_000 });
}

/** A failure of the deploy as a reason and a message a person can act on. */
function classify(err: unknown, image: string): { reason: DeploymentReason; message: string } {
  const text = err instanceof Error ? err.message : String(err);
  if (err instanceof ModelAccessError) return { reason: err.reason, message: text };
  const code = (err as { code?: unknown }).code;
  if (code === "unavailable" || code === "tls" || code === "timeout") {
    return {
      reason: "GatewayUnreachable",
      message: `the gateway did not answer (${text}); check that it runs and that this adapter can reach it`,
    };
  }
  if (err instanceof NotFoundError && text.includes(image)) {
    return { reason: "ImageNotFound", message: text };
  }
  return { reason: "DeployFailed", message: text };
}
