import { describe, expect, it } from "vitest";
import {
  ContainerRuntimeError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from "../../../../src/errors.js";
import { provisionFailure } from "../../../../src/local/sandboxes/provision-failure.js";
import { ImagePolicyRefusal } from "../../../../src/local/sandboxes/static-policy.js";

describe("provisionFailure", () => {
  it("tells the user how to get a missing image", () => {
    const failure = provisionFailure(new NotFoundError("manifest unknown"), {
      step: "image",
      image: "example/missing:1",
      command: [],
    });
    expect(failure.reason).toBe("ImageNotFound");
    expect(failure.message).toContain("example/missing:1");
    expect(failure.message).toContain("build or load it");
  });

  it("calls any other failure to get the image a pull failure, not a container failure", () => {
    const unreachable = new ContainerRuntimeError("dial tcp: lookup registry-1.docker.io: no such host", {
      runtime: "docker",
      statusCode: 500,
    });
    const failure = provisionFailure(unreachable, { step: "image", image: "example/x:1", command: [] });
    expect(failure.reason).toBe("ImagePullFailed");
    expect(failure.message).toMatch(/example\/x:1.*no such host.*registry is reachable/);
    const invalid = provisionFailure(new InvalidArgumentError("invalid reference format"), {
      step: "image",
      image: "Bad Image",
      command: [],
    });
    expect(invalid.reason).toBe("InvalidImageName");
  });

  it("blames an engine it could not reach, not the image or the command, at every step", () => {
    const gone = new UnavailableError(
      "inspect image busybox: cannot reach the docker engine at unix:///var/run/docker.sock (ECONNREFUSED). Is it running?",
    );
    for (const step of ["image", "create", "start"] as const) {
      const failure = provisionFailure(gone, { step, image: "busybox", command: ["nope"] });
      expect(failure.reason).toBe("RuntimeUnavailable");
      expect(failure.message).toMatch(/could not be reached .*cannot reach the docker engine/);
      expect(failure.message).toMatch(/start the sandbox again/);
      expect(failure.message).not.toMatch(/pull|build or load|not found/);
    }
  });

  it("names a command the image does not have, and says what to do", () => {
    const error = new ContainerRuntimeError(
      'OCI runtime create failed: exec: "nope": executable file not found in $PATH',
      { runtime: "docker", statusCode: 400 },
    );
    const failure = provisionFailure(error, { step: "start", image: "busybox", command: ["nope", "-x"] });
    expect(failure.reason).toBe("CommandNotFound");
    expect(failure.message).toMatch(
      /^command "nope" was not found in image busybox; use a command the image has/,
    );
  });

  it("reads Apple container's vmexec words for a missing executable as CommandNotFound", () => {
    // test/fixtures/apple-container/stderr-start-no-shell.txt, as the driver words a start failure.
    const error = new ContainerRuntimeError(
      'container start sbx-1 failed (exit 1): Error: internalError: "vmexec error: internalError: \\"failed to find target executable /opt/nothing/here\\""',
      { runtime: "apple-container" },
    );
    const failure = provisionFailure(error, {
      step: "start",
      image: "busybox",
      command: ["/opt/nothing/here"],
    });
    expect(failure.reason).toBe("CommandNotFound");
  });

  it("does not take a missing file at create for a missing command", () => {
    const error = new ContainerRuntimeError("open /etc/x: no such file or directory", { runtime: "podman" });
    expect(provisionFailure(error, { step: "create", image: "busybox", command: ["sh"] }).reason).toBe(
      "ContainerCreateFailed",
    );
  });

  it("passes a policy refusal found at the image on with its own reason and words", () => {
    const refusal = new ImagePolicyRefusal(
      "RootUser",
      "image busybox sets no USER, so the sandbox would run as root",
    );
    expect(provisionFailure(refusal, { step: "image", image: "busybox", command: [] })).toEqual({
      reason: "RootUser",
      message: "image busybox sets no USER, so the sandbox would run as root",
    });
  });

  it("names a user or group the image does not have, and what to do", () => {
    const error = new ContainerRuntimeError("unable to find user agent: no matching entries in passwd file", {
      runtime: "docker",
      statusCode: 500,
    });
    const failure = provisionFailure(error, { step: "start", image: "busybox", command: [] });
    expect(failure.reason).toBe("UserNotFound");
    expect(failure.message).toMatch(
      /^image busybox has no user "agent" in \/etc\/passwd; set policy\.process\.runAsUser and runAsGroup \(run_as_user and run_as_group in a policy file\) to a numeric UID and GID/,
    );
    const group = new ContainerRuntimeError("unable to find group staff: no matching entries in group file", {
      runtime: "podman",
    });
    expect(provisionFailure(group, { step: "create", image: "busybox", command: [] }).message).toMatch(
      /no group "staff" in \/etc\/group/,
    );
  });

  it("keeps the runtime's words for anything else", () => {
    const failure = provisionFailure(
      new ContainerRuntimeError("port is already allocated", { runtime: "podman" }),
      {
        step: "start",
        image: "busybox",
        command: [],
      },
    );
    expect(failure).toEqual({
      reason: "ContainerStartFailed",
      message:
        "the runtime could not start the sandbox's container from image busybox: port is already allocated",
    });
  });
});
