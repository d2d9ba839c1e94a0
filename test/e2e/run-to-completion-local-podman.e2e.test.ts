import { describe } from "vitest";
import { describeRunToCompletion } from "./run-to-completion.suite.js";
import { localTarget } from "./targets/local-target.js";

describe("run-to-completion sandboxes on the local gateway over Podman", () => {
  // The sandbox user's home is read-only; /sandbox is writable.
  describeRunToCompletion(localTarget("podman"), { home: "/sandbox" });
});
