import { describe } from "vitest";
import { describeAccountProbeCleanup } from "./account-probe-cleanup.suite.js";

describe("account probe containers on Docker", () => {
  describeAccountProbeCleanup("docker");
});
