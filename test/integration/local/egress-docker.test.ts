import { describe } from "vitest";
import { describeEgress } from "./egress.suite.js";

describe("egress through the local gateway's proxy on Docker", () => {
  describeEgress("docker");
});
