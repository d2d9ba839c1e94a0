import { describe } from "vitest";
import { describeCredentialBindingRefusals } from "./credential-binding-refusals.suite.js";

describe("credential_binding refusals of local mode on Podman", () => {
  describeCredentialBindingRefusals("podman");
});
