import { describe } from "vitest";
import { describeStaticPolicy } from "./static-policy.suite.js";

describe("the static policy enforced by Docker", () => {
  describeStaticPolicy("docker");
});
