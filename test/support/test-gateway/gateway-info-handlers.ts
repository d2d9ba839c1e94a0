import type { ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { serviceInfoHandlers } from "../../../src/local/protocol/gateway-info.js";

type Handlers = Partial<ServiceImpl<typeof OpenShell>>;

/** Reported by Health and GetGatewayInfo; clients must not take it for a real gateway release. */
export const testGatewayVersion = "0.0.0-test-gateway";

export function gatewayInfoHandlers(): Handlers {
  return serviceInfoHandlers(testGatewayVersion, { name: "host-process", version: testGatewayVersion });
}
