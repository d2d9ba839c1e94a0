import { describe } from "vitest";
import { describeEgressTls } from "./egress-tls.suite.js";

describe("TLS terminated by the local gateway's egress proxy on Docker", () => {
  describeEgressTls("docker");
});
