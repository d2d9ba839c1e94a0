import { describe } from "vitest";
import { describeRunToCompletion } from "./run-to-completion.suite.js";
import { testGatewayTarget } from "./targets/test-gateway-target.js";

describe("run-to-completion sandboxes on the scripted test gateway", () => {
  // Execs run in the sandbox's folder, and the test gateway's login shell reads `.profile` there.
  describeRunToCompletion(testGatewayTarget, { home: undefined });
});
