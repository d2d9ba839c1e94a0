import { describe } from "vitest";
import { describeBinaries } from "./binaries.suite.js";

describe("binaries in network policies, enforced by process in local mode on Podman", () => {
  describeBinaries("podman");
});
