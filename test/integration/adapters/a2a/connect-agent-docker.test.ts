import { describe } from "vitest";
import { describeConnectAgent } from "./connect-agent.suite.js";

describe("connectAgent to an A2A agent in a local-mode sandbox over Docker", () => {
  describeConnectAgent("docker");
});
