import type { ServiceImpl } from "@connectrpc/connect";
import { type OpenShell, ServiceStatus } from "../../../src/gen/openshell/v1/openshell_pb.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** Reported by Health and GetGatewayInfo; clients must not take it for a real gateway release. */
export const testGatewayVersion = "0.0.0-test-gateway";

export function gatewayInfoHandlers(): Handlers {
  return {
    async health() {
      return { status: ServiceStatus.HEALTHY, version: testGatewayVersion };
    },
    async getGatewayInfo() {
      return {
        status: ServiceStatus.HEALTHY,
        gatewayVersion: testGatewayVersion,
        computeDrivers: [
          {
            name: "host-process",
            capabilities: { driverName: "host-process", driverVersion: testGatewayVersion },
          },
        ],
      };
    },
  };
}
