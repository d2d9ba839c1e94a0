import type { SandboxDirectory, SandboxView } from "../sandboxes/sandbox-directory.js";
import { sandboxByName } from "./sandbox-lookup.js";
import { checkResourceVersion } from "./validation.js";

/** A sandbox's `metadata.resource_version`, which expected_resource_version is compared with. */
export function resourceVersionOf(sandbox: SandboxView): bigint {
  return sandbox.toProto().metadata?.resourceVersion ?? 0n;
}

/**
 * Looks a sandbox up by name (INVALID_ARGUMENT naming `field` when empty, NOT_FOUND when missing)
 * and checks the caller's expected resource version, 0 skipping the check: ABORTED when the sandbox
 * changed since the caller read it.
 */
export function sandboxAtVersion(
  sandboxes: SandboxDirectory,
  name: string,
  workspace: string,
  expected: bigint,
  field = "name",
): SandboxView {
  const sandbox = sandboxByName(sandboxes, name, workspace, field);
  checkResourceVersion(`sandbox "${sandbox.name}"`, expected, resourceVersionOf(sandbox));
  return sandbox;
}
