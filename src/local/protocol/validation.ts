import { toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type SandboxPolicy, SandboxPolicySchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type { SandboxSpec } from "../../gen/openshell/v1/openshell_pb.js";
import { invalidArgument } from "./gateway-errors.js";

/** Upstream limits (SEMANTICS.md §3, §4). */
export const limits = {
  sandboxNameChars: 19,
  providers: 32,
  envEntries: 128,
  envKeyBytes: 256,
  envValueBytes: 8 * 1024,
  policyBytes: 256 * 1024,
  mainCommandArgs: 256,
  execArgs: 1024,
  execArgBytes: 32 * 1024,
} as const;

/** `limit` 0 means the default; larger than the maximum means the maximum (SEMANTICS.md §3, §8). */
export const paging = {
  sandboxes: { defaultLimit: 100, maxLimit: 1000 },
  providers: { defaultLimit: 100, maxLimit: 1000 },
  policyRevisions: { defaultLimit: 50, maxLimit: 1000 },
} as const;

export interface PageRule {
  defaultLimit: number;
  maxLimit: number;
}

const dns1123Label = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const envKey = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** INVALID_ARGUMENT with `message`: the request itself is wrong. */
export const invalid = invalidArgument;

/** Empty means `default` everywhere a workspace is taken (SEMANTICS.md §2). */
export function workspaceOf(workspace: string): string {
  return workspace === "" ? "default" : workspace;
}

/** List calls take one workspace or all of them, never both. */
export function checkWorkspaceScope(workspace: string, allWorkspaces: boolean): void {
  if (workspace !== "" && allWorkspaces) {
    throw invalidArgument("workspace and all_workspaces cannot both be set");
  }
}

/**
 * Optimistic concurrency: `expected` 0 skips the check, anything else must be the object's current
 * resource version. `what` names the object (`sandbox "web"`).
 */
export function checkResourceVersion(what: string, expected: bigint, actual: bigint): void {
  if (expected !== 0n && expected !== actual) {
    throw new ConnectError(
      `${what} changed since resource_version ${expected} (now ${actual})`,
      Code.Aborted,
    );
  }
}

export function checkSandboxName(name: string): void {
  if (name.length > limits.sandboxNameChars) {
    throw invalidArgument(`sandbox name "${name}" is longer than ${limits.sandboxNameChars} characters`);
  }
  if (!dns1123Label.test(name) || name.includes("--")) {
    throw invalidArgument(
      `sandbox name "${name}" must be a DNS-1123 label: lowercase letters, digits and single "-", not at either end`,
    );
  }
}

export function checkSpecEnvironment(environment: Record<string, string>, field: string): void {
  const entries = Object.entries(environment);
  if (entries.length > limits.envEntries) {
    throw invalidArgument(`${field} has ${entries.length} entries, more than ${limits.envEntries}`);
  }
  for (const [key, value] of entries) {
    if (Buffer.byteLength(key) > limits.envKeyBytes) {
      throw invalidArgument(
        `${field} key "${key.slice(0, 32)}..." is longer than ${limits.envKeyBytes} bytes`,
      );
    }
    if (Buffer.byteLength(value) > limits.envValueBytes) {
      throw invalidArgument(`${field}["${key}"] is longer than ${limits.envValueBytes} bytes`);
    }
  }
}

/** A policy over the size limit; `field` names where it came from. */
export function checkPolicySize(policy: SandboxPolicy | undefined, field: string): void {
  if (policy && toBinary(SandboxPolicySchema, policy).byteLength > limits.policyBytes) {
    throw invalidArgument(`${field} is larger than ${limits.policyBytes} bytes`);
  }
}

/** CreateSandbox's limits on the spec (providers are checked against the store by the caller). */
export function checkSandboxSpec(spec: SandboxSpec): void {
  if (spec.providers.length > limits.providers) {
    throw invalidArgument(
      `spec.providers has ${spec.providers.length} entries, more than ${limits.providers}`,
    );
  }
  checkSpecEnvironment(spec.environment, "spec.environment");
  checkSpecEnvironment(spec.template?.environment ?? {}, "spec.template.environment");
  if (spec.command.length > limits.mainCommandArgs) {
    throw invalidArgument(
      `spec.command has ${spec.command.length} arguments, more than ${limits.mainCommandArgs}`,
    );
  }
  checkPolicySize(spec.policy, "spec.policy");
}

export function checkExecCommand(command: string[], environment: Record<string, string>): void {
  if (command.length === 0) throw invalidArgument("command is required");
  if (command.length > limits.execArgs) {
    throw invalidArgument(`command has ${command.length} arguments, more than ${limits.execArgs}`);
  }
  for (const [i, arg] of command.entries()) {
    if (Buffer.byteLength(arg) > limits.execArgBytes) {
      throw invalidArgument(`command[${i}] is longer than ${limits.execArgBytes} bytes`);
    }
    if (arg.includes("\0")) throw invalidArgument(`command[${i}] contains a NUL byte`);
  }
  for (const key of Object.keys(environment)) {
    if (!envKey.test(key)) {
      throw invalidArgument(`environment key "${key}" must match ^[A-Za-z_][A-Za-z0-9_]*$`);
    }
  }
}

/** How many items one page holds for a requested `limit`. */
export function pageSize(limit: number, rule: PageRule): number {
  return Math.min(limit === 0 ? rule.defaultLimit : limit, rule.maxLimit);
}

/** limit/offset paging of an in-memory list with the gateway's defaults and caps. */
export function page<T>(items: T[], limit: number, offset: number, rule: PageRule): T[] {
  return items.slice(offset, offset + pageSize(limit, rule));
}

/** `k=v,k2=v2`: every pair must match. A malformed selector is the caller's mistake. */
export function parseLabelSelector(selector: string): [string, string][] {
  if (selector.trim() === "") return [];
  return selector.split(",").map((part) => {
    const eq = part.indexOf("=");
    if (eq <= 0)
      throw invalidArgument(`label_selector "${selector}": expected k=v pairs separated by commas`);
    return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
  });
}

/** True when `labels` has every pair of a parsed selector. */
export function matchesLabels(labels: Record<string, string>, selector: [string, string][]): boolean {
  return selector.every(([key, value]) => labels[key] === value);
}
