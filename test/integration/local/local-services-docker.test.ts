import { describe } from "vitest";
import { describeLocalServices } from "./local-services.suite.js";

describe("published services through the local gateway over Docker", () => {
  describeLocalServices("docker");
});
