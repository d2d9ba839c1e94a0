import { describe } from "vitest";
import { describeClientSurface } from "./client-surface.suite.js";
import { localTarget } from "./targets/local-target.js";

describe("client surface on the local gateway over Docker", () => {
  describeClientSurface(localTarget("docker"));
});
