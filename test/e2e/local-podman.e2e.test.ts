import { describe } from "vitest";
import { describeClientSurface } from "./client-surface.suite.js";
import { localTarget } from "./targets/local-target.js";

describe("client surface on the local gateway over Podman", () => {
  describeClientSurface(localTarget("podman"));
});
