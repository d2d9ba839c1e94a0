import type { DeploymentStatus } from "openshell/adapters/agent-registry";

/** A condition's `status/reason` (`True/AgentAnswering`), or `-` when the status has none of that type. */
export function condition(status: DeploymentStatus, type: string): string {
  const found = status.conditions.find((c) => c.type === type);
  return found ? `${found.status}/${found.reason ?? ""}` : "-";
}

/** Iterates `statuses` until `done` says so; returns every status seen (the last one is the match). */
export async function statusesUntil(
  statuses: AsyncIterable<DeploymentStatus>,
  done: (status: DeploymentStatus) => boolean,
): Promise<DeploymentStatus[]> {
  const seen: DeploymentStatus[] = [];
  for await (const status of statuses) {
    seen.push(status);
    if (done(status)) return seen;
  }
  throw new Error(
    `the watch ended before the awaited status; it saw: ${seen.map((s) => condition(s, "Ready")).join(", ")}`,
  );
}

/** True once `Ready` or `Degraded` is True: the deploy has converged, one way or the other. */
export function settled(status: DeploymentStatus): boolean {
  return condition(status, "Ready").startsWith("True") || condition(status, "Degraded").startsWith("True");
}
