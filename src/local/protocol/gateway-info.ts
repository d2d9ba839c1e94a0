import type { ServiceImpl } from "@connectrpc/connect";
import { type OpenShell, ServiceStatus } from "../../gen/openshell/v1/openshell_pb.js";

/** The compute driver a gateway reports: its name and version. */
export interface ComputeDriver {
  name: string;
  version: string;
}

/**
 * Health and GetGatewayInfo for a gateway of `version` running sandboxes on `driver`. Health needs
 * no auth (SEMANTICS.md §1), so it answers from nothing but these two facts.
 */
export function serviceInfoHandlers(
  version: string,
  driver: ComputeDriver,
): Pick<ServiceImpl<typeof OpenShell>, "health" | "getGatewayInfo"> {
  return {
    async health() {
      return { status: ServiceStatus.HEALTHY, version };
    },
    async getGatewayInfo() {
      return {
        status: ServiceStatus.HEALTHY,
        gatewayVersion: version,
        computeDrivers: [
          {
            name: driver.name,
            capabilities: { driverName: driver.name, driverVersion: driver.version },
          },
        ],
      };
    },
  };
}
