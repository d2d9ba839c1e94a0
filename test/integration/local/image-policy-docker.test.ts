import { describe } from "vitest";
import { describeImagePolicy } from "./image-policy.suite.js";

describe("the image's own policy file in local mode on Docker", () => {
  describeImagePolicy("docker");
});
