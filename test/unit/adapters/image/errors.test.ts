import { FailedPreconditionError, OpenShellError } from "openshell";
import { describe, expect, it } from "vitest";
import { ImageNotReadyError } from "../../../../adapters/image/index.js";

describe("image adapter errors", () => {
  it("are the SDK's own error classes, so one catch handles every entry point", () => {
    const error = new ImageNotReadyError("busybox:1 has no package manager", {
      image: "busybox:1",
      requirements: ["iproute2", "nsenter"],
    });
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error).toBeInstanceOf(OpenShellError);
    expect(error.code).toBe("failed_precondition");
    expect(error.requirements).toEqual(["iproute2", "nsenter"]);
    expect(String(error)).toBe("ImageNotReadyError [failed_precondition]: busybox:1 has no package manager");
  });
});
