import { describe } from "vitest";
import { describeSandboxUser } from "./sandbox-user.suite.js";

describe("who a sandbox runs as, on Docker", () => {
  describeSandboxUser("docker");
});
