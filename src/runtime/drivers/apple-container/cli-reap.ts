import { CanceledError, ContainerRuntimeError, NotFoundError } from "../../../errors.js";
import type { ContainerInfo } from "../../container-info.js";
import type { ReapResult } from "../../container-runtime.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, matchesLabels, SESSION_LABEL } from "../../labels.js";
import type { CliContext } from "./cli-context.js";
import { KIND } from "./cli-errors.js";
import { listCliNetworks, listCliVolumes } from "./cli-networks.js";

/**
 * Deletes a session's containers (forced), then its networks, then its volumes: the objects that
 * carry both the managed-by and the session label (the same rule as the reaper's watcher). One that
 * is already gone is not counted; one that cannot be removed does not stop the others, and the
 * error then names every one left behind.
 */
export async function reapCliSession(
  cli: CliContext,
  sessionId: string,
  listContainers: (signal: AbortSignal | undefined) => Promise<ContainerInfo[]>,
  signal: AbortSignal | undefined,
): Promise<ReapResult> {
  const selector = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SESSION_LABEL]: sessionId };
  const result: ReapResult = { containers: 0, networks: 0, volumes: 0 };
  const failures: string[] = [];
  const remove = async (kind: keyof ReapResult, args: string[]) => {
    try {
      await cli.run(args, { signal });
      result[kind] += 1;
    } catch (error) {
      if (error instanceof CanceledError) throw error;
      if (!(error instanceof NotFoundError)) failures.push((error as Error).message);
    }
  };
  for (const container of await listContainers(signal)) {
    if (matchesLabels(container.labels, selector))
      await remove("containers", ["delete", "--force", container.id]);
  }
  for (const network of await listCliNetworks(cli, { signal })) {
    if (matchesLabels(network.labels, selector))
      await remove("networks", ["network", "delete", network.name]);
  }
  for (const volume of await listCliVolumes(cli, { signal })) {
    if (matchesLabels(volume.labels, selector)) await remove("volumes", ["volume", "delete", volume.name]);
  }
  if (failures.length > 0) {
    throw new ContainerRuntimeError(
      `reaping session ${sessionId} left ${failures.length} object(s) behind: ${failures.join("; ")}`,
      { runtime: KIND },
    );
  }
  return result;
}
