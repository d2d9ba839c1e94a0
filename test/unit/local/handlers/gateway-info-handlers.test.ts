import { readFileSync } from "node:fs";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { OpenShell, ServiceStatus } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import {
  gatewayInfoHandlers,
  localGatewayVersion,
} from "../../../../src/local/handlers/gateway-info-handlers.js";

const packageVersion = (
  JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

describe("gateway info handlers", () => {
  const client = createClient(
    OpenShell,
    createRouterTransport((router) =>
      router.service(OpenShell, gatewayInfoHandlers({ driver: { name: "podman", version: "5.2.1" } })),
    ),
  );

  it("reports the SDK's version as the gateway's, healthy", async () => {
    expect(localGatewayVersion).toBe(packageVersion);
    expect(await client.health({})).toMatchObject({ status: ServiceStatus.HEALTHY, version: packageVersion });
  });

  it("names the container runtime as the compute driver", async () => {
    const info = await client.getGatewayInfo({});
    expect(info.gatewayVersion).toBe(packageVersion);
    expect(info.computeDrivers).toHaveLength(1);
    expect(info.computeDrivers[0]).toMatchObject({
      name: "podman",
      capabilities: { driverName: "podman", driverVersion: "5.2.1" },
    });
  });
});
