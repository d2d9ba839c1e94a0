import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../src/errors.js";
import { engineEndpointOption } from "../../../src/runtime/endpoint-option.js";

function refusal(input: unknown): InvalidArgumentError {
  try {
    engineEndpointOption(input);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe("engineEndpointOption", () => {
  it("takes the structured form and URLs as DOCKER_HOST takes them", () => {
    expect(engineEndpointOption({ kind: "unix", socketPath: "/run/podman/podman.sock" })).toEqual({
      kind: "unix",
      socketPath: "/run/podman/podman.sock",
    });
    expect(engineEndpointOption("unix:///var/run/docker.sock")).toEqual({
      kind: "unix",
      socketPath: "/var/run/docker.sock",
    });
    expect(engineEndpointOption("tcp://engine:2375")).toEqual({ kind: "tcp", host: "engine", port: 2375 });
    expect(engineEndpointOption("ssh://core@vm:2222")).toEqual({
      kind: "ssh",
      host: "vm",
      port: 2222,
      username: "core",
    });
  });

  it("refuses what is not an endpoint, naming the field, before any engine client sees it", () => {
    expect(refusal("/var/run/docker.sock")).toMatchObject({ field: "endpoint" });
    expect(refusal("/var/run/docker.sock").message).toContain("has no scheme");
    expect(refusal({ kind: "unix", socketPath: "docker.sock" }).message).toBe(
      "invalid endpoint.socketPath: must be an absolute path",
    );
    expect(refusal({ kind: "tcp", host: "engine", port: 0 }).message).toBe(
      "invalid endpoint.port: must be 1-65535",
    );
    expect(refusal({ socketPath: "/var/run/docker.sock" }).message).toMatch(/^invalid endpoint\.kind: /);
    expect(refusal(undefined).message).toMatch(/^invalid endpoint/);
  });
});
