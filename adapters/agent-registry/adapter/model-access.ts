import type { OpenShell } from "openshell";
import type { Deployment } from "../resources/deployment.js";
import type { PrepareModelAccess } from "./deploy-sandbox.js";

/** What model access preparation reads. */
export interface ModelAccessSources {
  client: OpenShell;
  env: Readonly<Record<string, string | undefined>>;
  resolveModel?: (
    ref: { name: string; tag?: string; namespace?: string },
    options: { signal: AbortSignal },
  ) => Promise<unknown>;
}

/** TEMPORARY until the model mapping lands. */
export function modelAccessPreparer(_sources: ModelAccessSources): PrepareModelAccess {
  return async () => ({ providers: [], env: {}, policy: undefined });
}

/** TEMPORARY. */
export async function removeModelAccess(
  _client: OpenShell,
  _deployment: Deployment,
  _signal?: AbortSignal,
): Promise<void> {}
