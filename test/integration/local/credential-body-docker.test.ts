import { describe } from "vitest";
import { describeCredentialBody } from "./credential-body.suite.js";

describe("credential placeholders in request bodies (request_body_credential_rewrite) on Docker", () => {
  describeCredentialBody("docker");
});
