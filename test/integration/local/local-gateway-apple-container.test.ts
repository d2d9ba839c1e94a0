import { describe } from "vitest";
import { appleContainerEngine } from "./apple-container-engine.js";
import { describeLocalGateway } from "./local-gateway.suite.js";

// No Mac here: the same suite as on Docker and Podman, over the real Apple driver and an emulated
// `container` CLI (on Docker) in the JSON shapes of both release lines local mode supports.
for (const version of ["1.1.0", "0.12.3"] as const) {
  describe(`the local gateway over apple-container ${version} (emulated)`, () => {
    describeLocalGateway(appleContainerEngine(version));
  });
}
