import { describe } from "vitest";
import { describeConcurrentDeployments } from "./concurrent-deployments.suite.js";

describe("OpenShellDeploymentAdapter under load on local mode over Docker", () => {
  describeConcurrentDeployments("docker");
});
