import { describe } from "vitest";
import { describeDeploymentAdapter } from "./deployment-adapter.suite.js";

describe("OpenShellDeploymentAdapter on local mode over Podman", () => {
  describeDeploymentAdapter("podman");
});
