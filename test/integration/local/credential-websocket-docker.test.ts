import { describe } from "vitest";
import { describeCredentialWebSocket } from "./credential-websocket.suite.js";

describe("credential placeholders in websocket text messages (websocket_credential_rewrite) on Docker", () => {
  describeCredentialWebSocket("docker");
});
