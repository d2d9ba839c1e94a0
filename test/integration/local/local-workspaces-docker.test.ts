import { describe } from "vitest";
import { describeLocalWorkspaces } from "./local-workspaces.suite.js";

describe("workspaces and the current user in local mode, on Docker", () => {
  describeLocalWorkspaces("docker");
});
