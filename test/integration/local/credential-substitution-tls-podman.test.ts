import { describe } from "vitest";
import { describeCredentialSubstitutionTls } from "./credential-substitution-tls.suite.js";

describe("provider credential placeholders resolved inside TLS the egress proxy terminates on Podman", () => {
  describeCredentialSubstitutionTls("podman");
});
