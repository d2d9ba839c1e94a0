import { ContainerRuntimeError, InvalidArgumentError } from "openshell";
import { describe, expect, it } from "vitest";
import { DEFAULT_IMAGE_PATH, imagePath } from "../../../../../adapters/image/inspect/image-config.js";
import { isMissingShellError } from "../../../../../adapters/image/inspect/missing-shell.js";

describe("isMissingShellError, on the errors the runtime gave for an image without /bin/sh", () => {
  it("Docker 20.10 (HTTP 400, an InvalidArgumentError) and Podman 4.3 (HTTP 500) are recognised", () => {
    const docker = new InvalidArgumentError(
      "start container 11e7c831d5c9eead60e7f4cee163c0ce0c3a70b63d00b20df545577f30259372: failed to create shim " +
        "task: OCI runtime create failed: runc create failed: unable to start container process: exec: " +
        '"/bin/sh": stat /bin/sh: no such file or directory: unknown',
    );
    const podman = new ContainerRuntimeError(
      "start container 162075bedf63598d75219bce9e2295331e46b5bb051eded9784f04b4828d221b: runc: runc create " +
        'failed: unable to start container process: exec: "/bin/sh": stat /bin/sh: no such file or ' +
        "directory: OCI runtime attempted to invoke a command that was not found",
      { runtime: "podman", statusCode: 500 },
    );
    expect(isMissingShellError(docker)).toBe(true);
    expect(isMissingShellError(podman)).toBe(true);
  });

  it("other start failures are not", () => {
    expect(
      isMissingShellError(
        new ContainerRuntimeError(
          'start container abc: exec: "/bin/sh": exec format error: unknown (the image is for another architecture)',
          { runtime: "docker" },
        ),
      ),
    ).toBe(false);
    expect(
      isMissingShellError(
        new ContainerRuntimeError("start container abc: cannot allocate memory", { runtime: "docker" }),
      ),
    ).toBe(false);
  });
});

describe("imagePath", () => {
  it("is the engines' default when the image sets none", () => {
    expect(imagePath([])).toEqual(DEFAULT_IMAGE_PATH.split(":"));
    expect(imagePath(["HOME=/root"])).toContain("/usr/sbin");
  });

  it("takes the last PATH the image sets, without empty entries", () => {
    expect(imagePath(["PATH=/a:/b", "LANG=C", "PATH=/opt/bin::/usr/bin:"])).toEqual(["/opt/bin", "/usr/bin"]);
  });
});
