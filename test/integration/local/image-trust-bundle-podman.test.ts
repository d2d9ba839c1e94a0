import { describe } from "vitest";
import { describeImageTrustBundle } from "./image-trust-bundle.suite.js";

describe("a sandbox's CA bundle is its image's plus the egress CA, on Podman", () => {
  describeImageTrustBundle("podman");
});
