import { describe } from "vitest";
import { describeClientSurface } from "./client-surface.suite.js";
import { appleContainerTarget } from "./targets/apple-container-target.js";

// No Mac here: the real Apple driver over an emulated `container` CLI (on Docker), in the JSON
// shapes of the two release lines local mode runs on: 0.x (0.12.3) and 1.x (1.1.0).
for (const version of ["1.1.0", "0.12.3"] as const) {
  describe(`the client surface on local mode over apple-container ${version} (emulated)`, () => {
    describeClientSurface(appleContainerTarget(version));
  });
}
