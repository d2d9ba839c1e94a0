import { describe } from "vitest";
import { describeLocalTemplates } from "./templates.suite.js";

describe("workload templates in local mode over Docker", () => {
  describeLocalTemplates("docker");
});
