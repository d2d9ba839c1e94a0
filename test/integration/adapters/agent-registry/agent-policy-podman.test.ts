import { describe } from "vitest";
import { describeAgentPolicy } from "./agent-policy.suite.js";

describe("model access and egress policy of a deployed agent in a local-mode sandbox over Podman", () => {
  describeAgentPolicy("podman");
});
