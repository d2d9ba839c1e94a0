import { describe } from "vitest";
import { describePolicyAdvisor } from "./policy-advisor.suite.js";

describe("the policy advisor in local mode on Podman", () => {
  describePolicyAdvisor("podman");
});
