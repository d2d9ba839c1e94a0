import { describe } from "vitest";
import { describeFiles } from "./files.suite.js";
import { testGatewayTarget } from "./targets/test-gateway-target.js";

describe("sandbox files on the scripted test gateway (mTLS; sandboxes are host processes)", () => {
  describeFiles(testGatewayTarget);
});
