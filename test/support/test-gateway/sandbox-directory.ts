import type { SandboxSpec } from "../../../src/gen/openshell/v1/openshell_pb.js";
import type { GatewayLogLevel, SandboxDirectory } from "../../../src/local/sandboxes/sandbox-directory.js";
import type { GatewayState } from "./gateway-state.js";
import type { SandboxRecord } from "./sandbox-record.js";

/**
 * The test gateway's sandboxes seen through the interface the shared handlers use (the local gateway
 * has its own implementation): a spec change bumps the record's version and tells its watchers.
 */
export function sandboxDirectory(state: GatewayState): SandboxDirectory {
  return {
    byName: (name: string, workspace: string) => state.sandboxByName(name, workspace),
    byId: (id: string) => state.sandboxById(id),
    all: (workspace?: string): SandboxRecord[] =>
      [...state.sandboxes.values()].filter((r) => workspace === undefined || r.workspace === workspace),
    updateSpec(id: string, change: (spec: SandboxSpec) => void) {
      const record = state.sandboxById(id);
      change(record.spec);
      record.touch();
      return record;
    },
    gatewayLog(id: string, level: GatewayLogLevel, message: string) {
      state.sandboxById(id).gatewayLog(level, message);
    },
  };
}
