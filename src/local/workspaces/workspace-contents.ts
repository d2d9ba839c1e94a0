import type { LocalStateStore } from "../state/state-store.js";
import { WORKSPACE_KIND } from "./workspace-records.js";

/**
 * What a workspace still holds, in words (`["1 sandbox", "2 providers"]`; empty when nothing):
 * what stops its delete. Live sandboxes, providers and inference routes have tables of their own;
 * every other resource (workload templates, services, whatever a later kind is) is a record scoped
 * to the workspace, so counting records by kind covers kinds this file has never heard of. Deleted
 * sandboxes are history (their logs), not contents.
 *
 * Inference routes count too: a route outlives the provider it names, and deleting the workspace
 * around it would either lose it without a word or leave it to reappear in a new workspace of the
 * same name; refusing says what is left.
 */
export function workspaceContents(store: LocalStateStore, workspace: string): string[] {
  const counts: [string, number][] = [
    ["sandbox", store.listSandboxes(workspace).length],
    ["provider", store.listProviders(workspace).length],
    ["inference route", store.countRoutes(workspace)],
  ];
  for (const [kind, count] of store.records.countByKind(workspace)) {
    // Workspaces are scoped to "" and a workspace cannot be named "", but say so rather than rely on it.
    if (kind !== WORKSPACE_KIND) counts.push([kind.replaceAll("-", " "), count]);
  }
  return counts.filter(([, count]) => count > 0).map(([what, count]) => `${count} ${plural(what, count)}`);
}

function plural(word: string, count: number): string {
  if (count === 1) return word;
  return word.endsWith("x") ? `${word}es` : `${word}s`;
}
