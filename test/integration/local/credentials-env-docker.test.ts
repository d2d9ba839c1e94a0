import { describe } from "vitest";
import { describeCredentialEnvironment } from "./credential-environment.suite.js";

describe("provider credentials as placeholders in local-mode sandboxes on Docker", () => {
  describeCredentialEnvironment("docker");
});
