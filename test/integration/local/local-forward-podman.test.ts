import { describe } from "vitest";
import { describeLocalForwards } from "./local-forward.suite.js";

describe("port forwarding through the local gateway over Podman", () => {
  describeLocalForwards("podman");
});
