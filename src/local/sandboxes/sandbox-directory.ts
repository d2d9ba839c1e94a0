import type { Sandbox, SandboxSpec } from "../../gen/openshell/v1/openshell_pb.js";

/** A sandbox as the provider, policy and inference handlers see it: identity, spec, wire form. */
export interface SandboxView {
  readonly id: string;
  readonly name: string;
  readonly workspace: string;
  /** The current spec (providers included). Treat as read-only; change it through updateSpec. */
  readonly spec: SandboxSpec;
  /** The sandbox as the protocol returns it (status, phase, resource version). */
  toProto(): Sandbox;
}

export type GatewayLogLevel = "INFO" | "WARN" | "ERROR";

/**
 * The live sandboxes of a local gateway, for the handlers that do not run containers themselves.
 * Lookups throw a ConnectError (NOT_FOUND) naming the sandbox, as the gateway answers.
 */
export interface SandboxDirectory {
  byName(name: string, workspace: string): SandboxView;
  byId(id: string): SandboxView;
  /** Live (not deleted) sandboxes, of one workspace or all. */
  all(workspace?: string): SandboxView[];
  /** Changes the spec durably, bumps the resource version and tells watchers. */
  updateSpec(id: string, change: (spec: SandboxSpec) => void): SandboxView;
  /** A log line with source `gateway` on the sandbox's log (kept in the state store, seen by watchers). */
  gatewayLog(id: string, level: GatewayLogLevel, message: string): void;
}
