import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../runtime/labels.js";

/** Labels on every sandbox container, as the OpenShell gateway's own Docker driver sets them. */
export const SANDBOX_ID_LABEL = "openshell.ai/sandbox-id";
export const SANDBOX_NAME_LABEL = "openshell.ai/sandbox-name";
export const SANDBOX_WORKSPACE_LABEL = "openshell.ai/sandbox-workspace";

export interface SandboxIdentity {
  id: string;
  name: string;
  workspace: string;
}

/** Apple `container` takes names of at most 63 characters (a DNS label): so do all runtimes here. */
const MAX_CONTAINER_NAME = 63;

/**
 * The container's name: `openshell-{workspace}--{name}-{id}`, the gateway's own scheme, so people
 * who know one know the other, and `docker ps` says which sandbox a container is. A name that would
 * be longer than 63 characters keeps the first 12 hex digits of the id and as much of the rest as
 * fits (the gateway finds its containers by label, never by name).
 */
export function sandboxContainerName(sandbox: SandboxIdentity): string {
  const full = `openshell-${sandbox.workspace}--${sandbox.name}-${sandbox.id}`;
  if (full.length <= MAX_CONTAINER_NAME) return full;
  const id = sandbox.id.replaceAll("-", "").slice(0, 12);
  const prefix = `openshell-${sandbox.workspace}--${sandbox.name}`.slice(
    0,
    MAX_CONTAINER_NAME - id.length - 1,
  );
  return `${prefix.replace(/[-_.]+$/, "")}-${id}`;
}

/** The labels that make a container a sandbox; the runtime is the source of truth for which exist. */
export function sandboxContainerLabels(sandbox: SandboxIdentity): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [SANDBOX_ID_LABEL]: sandbox.id,
    [SANDBOX_NAME_LABEL]: sandbox.name,
    [SANDBOX_WORKSPACE_LABEL]: sandbox.workspace,
  };
}

/** Reads a container's labels back into the sandbox it belongs to; undefined for any other container. */
export function sandboxOfLabels(labels: Readonly<Record<string, string>>): SandboxIdentity | undefined {
  const id = labels[SANDBOX_ID_LABEL];
  const name = labels[SANDBOX_NAME_LABEL];
  const workspace = labels[SANDBOX_WORKSPACE_LABEL];
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE || !id || !name || workspace === undefined)
    return undefined;
  return { id, name, workspace };
}
