import { describe } from "vitest";
import { appleContainerEngine } from "./apple-container-engine.js";
import { describeLocalForwards } from "./local-forward.suite.js";

// Forwards to a sandbox's container address, through the real Apple driver over the emulated CLI.
describe("local forwards over apple-container 1.1.0 (emulated)", () => {
  describeLocalForwards(appleContainerEngine("1.1.0"));
});
