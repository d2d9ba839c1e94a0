import { describe, expect, it } from "vitest";
import { ContainerRuntimeError, NotFoundError } from "../../../../src/errors.js";
import { provisionFailure } from "../../../../src/local/sandboxes/provision-failure.js";

describe("provisionFailure", () => {
  it("tells the user how to get a missing image", () => {
    const failure = provisionFailure(new NotFoundError("manifest unknown"), "example/missing:1");
    expect(failure.reason).toBe("ImageNotFound");
    expect(failure.message).toContain("example/missing:1");
    expect(failure.message).toContain("build or load it");
  });

  it("names a command the image does not have", () => {
    const error = new ContainerRuntimeError(
      'OCI runtime create failed: exec: "nope": executable file not found in $PATH',
      { runtime: "docker", statusCode: 400 },
    );
    const failure = provisionFailure(error, "busybox");
    expect(failure.reason).toBe("CommandNotFound");
    expect(failure.message).toContain('"nope"');
  });

  it("keeps the runtime's words for anything else", () => {
    const failure = provisionFailure(
      new ContainerRuntimeError("port is already allocated", { runtime: "podman" }),
      "busybox",
    );
    expect(failure).toEqual({
      reason: "ContainerStartFailed",
      message: "the runtime could not start the sandbox: port is already allocated",
    });
    expect(provisionFailure(new Error("boom"), "x").reason).toBe("ProvisioningFailed");
  });
});
