import { NotFoundError } from "../../errors.js";
import type { ContainerSummary } from "../../runtime/container-info.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { LiveSandbox, StoredSandboxRecord } from "./live-sandbox.js";
import { SANDBOX_ID_LABEL } from "./sandbox-container.js";
import type { SandboxKeeper } from "./sandbox-keeper.js";
import type { SandboxProvisioner } from "./sandbox-provisioning.js";

/**
 * The second half of a delete, once the sandbox is DELETING: its containers are removed (a few tries
 * while the engine refuses), then its record is retired and its watchers are told it is gone. Given
 * up, the sandbox stays DELETING and a restarted gateway tries again.
 */
export async function finishDelete(
  keeper: SandboxKeeper,
  provisioner: SandboxProvisioner,
  sandbox: LiveSandbox,
): Promise<void> {
  // A provisioning step still in flight may create the container after this reads the id, and an
  // aborted create may still have made one: remove every container carrying the sandbox's id.
  await provisioner.settled(sandbox.id);
  for (let attempt = 0; ; attempt++) {
    try {
      await removeSandboxContainers(keeper.runtime, sandbox.id, { also: sandbox.record.containerId });
      break;
    } catch (error) {
      if (error instanceof NotFoundError) break;
      if (attempt >= 5 || keeper.shutdown.aborted) {
        keeper.gatewayLog(sandbox.id, "ERROR", `removing the container failed: ${(error as Error).message}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
  keeper.gatewayLog(sandbox.id, "INFO", `sandbox "${sandbox.name}" deleted`);
  keeper.store.markSandboxDeleted(sandbox.id, Date.now());
  keeper.forget(sandbox.id);
  sandbox.gone();
}

/**
 * Removes every container labelled with the sandbox's id, plus `also` (its recorded container, in
 * case its labels were lost), except `keep`. A container already gone counts as removed.
 * `stillWanted`, asked after the listing, can call the removal off (what was listed may have become
 * someone else's container meanwhile).
 */
export async function removeSandboxContainers(
  runtime: ContainerRuntime,
  sandboxId: string,
  options: { also?: string | undefined; keep?: string | undefined; stillWanted?: () => boolean } = {},
): Promise<void> {
  const ids = new Set<string>(options.also ? [options.also] : []);
  for (const container of await runtime.listContainers({ labels: { [SANDBOX_ID_LABEL]: sandboxId } })) {
    ids.add(container.id);
  }
  if (options.stillWanted && !options.stillWanted()) return;
  if (options.keep) ids.delete(options.keep);
  for (const id of ids) {
    await runtime.removeContainer(id, { force: true }).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
  }
}

/**
 * After the gateway removed its containers: every stored sandbox whose container is gone is deleted
 * from the records, as a delete would. `left` are the containers the runtime still holds; their
 * sandboxes stay.
 */
export function retireRemoved(keeper: SandboxKeeper, left: readonly ContainerSummary[]): void {
  const remaining = new Set(left.flatMap((c) => [c.id, c.labels[SANDBOX_ID_LABEL] ?? ""]));
  for (const stored of keeper.store.listSandboxes<StoredSandboxRecord>()) {
    const containerId = stored.record.containerId;
    if (remaining.has(stored.id) || (containerId !== undefined && remaining.has(containerId))) continue;
    keeper.gatewayLog(stored.id, "INFO", `sandbox "${stored.name}" removed with the gateway`);
    keeper.store.markSandboxDeleted(stored.id, Date.now());
    keeper.get(stored.id)?.gone();
    keeper.forget(stored.id);
  }
}
