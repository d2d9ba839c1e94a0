import { SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import { isAccountProbe, probeLeft } from "./account-probe-owner.js";
import type { StoredSandboxRecord } from "./live-sandbox.js";
import { SANDBOX_ID_LABEL } from "./sandbox-container.js";
import type { SandboxKeeper } from "./sandbox-keeper.js";
import type { SandboxProvisioner } from "./sandbox-provisioning.js";
import { finishDelete } from "./sandbox-removal.js";

/** What a start found in the runtime against what the state store remembered. */
export interface Reconciliation {
  /** Sandboxes whose container is running again under the same id. */
  running: string[];
  /** Sandboxes whose container is gone: they are now ERROR (`ContainerMissing`). */
  missing: string[];
  /** Containers of this gateway that no stored sandbox owns (left running; remove them yourself). */
  orphans: { containerId: string; name: string }[];
}

/**
 * Loads the stored sandboxes and reads each one's container: running ones come back READY with
 * their ids, vanished ones become ERROR, interrupted deletes finish, half-provisioned sandboxes carry
 * on. Containers of this gateway that no sandbox owns are reported; its account probes that no
 * process reads from any more (a crash left them) are removed. Then watches the runtime.
 */
export async function reconcile(
  keeper: SandboxKeeper,
  provisioner: SandboxProvisioner,
): Promise<Reconciliation> {
  const result: Reconciliation = { running: [], missing: [], orphans: [] };
  const listed = await keeper.runtime.listContainers({ labels: keeper.gatewayLabels });
  // Probe containers are never sandboxes: neither owned nor orphans.
  const containers = listed.filter((c) => !isAccountProbe(c.labels));
  await removeLeftProbes(
    keeper.runtime,
    listed.filter((c) => isAccountProbe(c.labels)),
  );
  const owned = new Set<string>();
  for (const stored of keeper.store.listSandboxes<StoredSandboxRecord>()) {
    const sandbox = keeper.adopt(stored);
    if (sandbox.record.containerId === undefined && sandbox.record.intent !== "delete") {
      // The engine made the container but the gateway died before recording it: it is this one's.
      const made = containers.find((c) => c.labels[SANDBOX_ID_LABEL] === sandbox.id);
      if (made) keeper.change(sandbox, (r) => ({ ...r, containerId: made.id }));
    }
    if (sandbox.record.containerId) owned.add(sandbox.record.containerId);
    if (sandbox.record.intent === "delete") {
      keeper.background(finishDelete(keeper, provisioner, sandbox));
      continue;
    }
    if (sandbox.record.containerId === undefined) {
      // The gateway stopped while preparing it: carry on where it was.
      if (!sandbox.record.failure) provisioner.provision(sandbox);
      continue;
    }
    await keeper.refresh(sandbox);
    const container = sandbox.container;
    if (container === undefined) {
      result.missing.push(sandbox.name);
    } else if (container.running) {
      result.running.push(sandbox.name);
      // Still READY is no transition, so refresh() starts no pump: pick its output up here.
      keeper.followLogs(sandbox);
    } else if (container.state === "created" && sandbox.record.intent === "run" && !sandbox.record.failure) {
      // The gateway stopped between creating the container and starting it: start it now.
      provisioner.provision(sandbox);
    }
  }
  // Every container carrying this gateway's labels is a sandbox's; one that no record owns (a lost
  // record, a container made by hand with the labels) is reported, never adopted or removed.
  for (const container of containers) {
    const sandboxId = container.labels[SANDBOX_ID_LABEL];
    if (owned.has(container.id) || (sandboxId !== undefined && keeper.has(sandboxId))) continue;
    result.orphans.push({ containerId: container.id, name: container.name });
  }
  keeper.background(watchRuntime(keeper));
  return result;
}

/**
 * Removes the gateway's account probe containers that no process reads from any more. They carry
 * the gateway's labels (the list asked for them) and the probe label; nothing else is touched. A
 * removal that fails is left to the next start.
 */
async function removeLeftProbes(
  runtime: ContainerRuntime,
  probes: { id: string; name: string; labels: Readonly<Record<string, string>> }[],
): Promise<void> {
  await Promise.allSettled(
    probes
      .filter((probe) => probeLeft(probe))
      .map((probe) => runtime.removeContainer(probe.id, { force: true })),
  );
}

/** Container events re-read the sandbox they belong to; a broken watch is re-opened. */
async function watchRuntime(keeper: SandboxKeeper): Promise<void> {
  const signal = keeper.shutdown;
  let broken = false;
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const events = keeper.runtime.watchContainers({ labels: keeper.gatewayLabels, signal });
      const iterator = events[Symbol.asyncIterator]();
      // The first next() opens the engine's event stream. Once a watch has broken, everything is
      // re-read after that, not before: a re-read while the engine was still away failed, and a
      // container that changed before the new stream opened would otherwise never be seen.
      const first = iterator.next();
      if (broken) rereadAll(keeper);
      for (let next = await first; !next.done; next = await iterator.next()) {
        const event = next.value;
        attempt = 0;
        // Exec events never change a sandbox's phase; re-reading the container for each would cost
        // an inspect per exec.
        if (event.action.startsWith("exec")) continue;
        const sandbox = keeper.get(event.labels[SANDBOX_ID_LABEL] ?? "");
        if (sandbox) void keeper.refresh(sandbox).catch(() => undefined);
      }
    } catch {
      // The engine went away or restarted: re-read everything once it answers again.
    }
    broken = true;
    if (signal.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)).unref());
  }
}

/**
 * Re-reads every sandbox after the watch broke. A log pump that ended while the engine was away
 * (its stream was cut) is started again for a sandbox that is still READY: being no transition,
 * the re-read alone would not start it, and the sandbox's output would stop reaching its log.
 */
function rereadAll(keeper: SandboxKeeper): void {
  for (const sandbox of keeper.values()) {
    void keeper
      .refresh(sandbox)
      .then(() => {
        if (sandbox.status.phase === SandboxPhase.READY) keeper.followLogs(sandbox);
      })
      .catch(() => undefined);
  }
}
