import { describe } from "vitest";
import { describeAgentModelPolicy } from "./agent-model-policy.suite.js";

describe("the agent-registry adapter's NVIDIA policy, with binaries added, in local mode on Docker", () => {
  describeAgentModelPolicy("docker");
});
