import type { ServiceImpl } from "@connectrpc/connect";
import packageJson from "../../../package.json" with { type: "json" };
import type { OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import { type ComputeDriver, serviceInfoHandlers } from "../protocol/gateway-info.js";

/** The local gateway's version: the SDK's own, so a bug report names the release that served it. */
export const localGatewayVersion: string = packageJson.version;

export interface GatewayInfoDeps {
  /** The container runtime sandboxes run on: its name (`docker`, `podman`, ...) and version. */
  driver: ComputeDriver;
}

/** Health and GetGatewayInfo: always HEALTHY while it answers; the runtime is the compute driver. */
export function gatewayInfoHandlers({ driver }: GatewayInfoDeps): Partial<ServiceImpl<typeof OpenShell>> {
  return serviceInfoHandlers(localGatewayVersion, driver);
}
