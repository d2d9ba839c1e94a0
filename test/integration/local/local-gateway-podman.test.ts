import { describe } from "vitest";
import { describeLocalGateway } from "./local-gateway.suite.js";

describe("the local gateway over Podman", () => {
  describeLocalGateway("podman");
});
