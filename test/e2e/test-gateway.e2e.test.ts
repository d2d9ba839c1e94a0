import { describe } from "vitest";
import { describeClientSurface } from "./client-surface.suite.js";
import { testGatewayTarget } from "./targets/test-gateway-target.js";

describe("client surface on the scripted test gateway", () => {
  describeClientSurface(testGatewayTarget);
});
