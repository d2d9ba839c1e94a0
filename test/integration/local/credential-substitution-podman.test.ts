import { describe } from "vitest";
import { describeCredentialSubstitution } from "./credential-substitution.suite.js";

describe("provider credential placeholders resolved by local mode's egress proxy on Podman", () => {
  describeCredentialSubstitution("podman");
});
