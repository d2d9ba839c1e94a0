import { describe, expect, it } from "vitest";
import { parseEngineHost, redactHost } from "../../../../src/runtime/detection/parse-engine-host.js";
import type { EngineTls } from "../../../../src/runtime/engine-endpoint.js";

const tls: EngineTls = { caFile: "/c/ca.pem", certFile: "/c/cert.pem", keyFile: "/c/key.pem", verify: true };

describe("parseEngineHost", () => {
  it("reads unix:// sockets", () => {
    expect(parseEngineHost("unix:///var/run/docker.sock")).toEqual({
      kind: "unix",
      socketPath: "/var/run/docker.sock",
    });
    expect(parseEngineHost("  unix:///run/podman/podman.sock ")).toEqual({
      kind: "unix",
      socketPath: "/run/podman/podman.sock",
    });
  });

  it("reads tcp:// with docker's default ports (2375 plain, 2376 with TLS), keeping the host as written", () => {
    expect(parseEngineHost("tcp://10.0.0.5")).toEqual({ kind: "tcp", host: "10.0.0.5", port: 2375 });
    expect(parseEngineHost("tcp://10.0.0.5", tls)).toEqual({
      kind: "tcp",
      host: "10.0.0.5",
      port: 2376,
      tls,
    });
    expect(parseEngineHost("tcp://Engine.Example:4243")).toEqual({
      kind: "tcp",
      host: "Engine.Example",
      port: 4243,
    });
  });

  it("unbrackets IPv6 literals", () => {
    expect(parseEngineHost("tcp://[::1]:2375")).toEqual({ kind: "tcp", host: "::1", port: 2375 });
  });

  it("applies TLS to tcp only", () => {
    expect(parseEngineHost("unix:///s.sock", tls)).toEqual({ kind: "unix", socketPath: "/s.sock" });
    expect(parseEngineHost("ssh://h", tls)).toEqual({ kind: "ssh", host: "h", port: 22 });
  });

  it("reads ssh:// with user, port and remote socket", () => {
    expect(parseEngineHost("ssh://core@vm.local:2222/run/user/1000/podman/podman.sock")).toEqual({
      kind: "ssh",
      host: "vm.local",
      port: 2222,
      username: "core",
      socketPath: "/run/user/1000/podman/podman.sock",
    });
  });

  it("explains values it cannot use", () => {
    expect(parseEngineHost("/var/run/docker.sock")).toEqual({
      problem: expect.stringContaining("has no scheme"),
    });
    expect(parseEngineHost("unix://docker.sock")).toEqual({
      problem: expect.stringContaining("absolute socket path"),
    });
    expect(parseEngineHost("npipe:////./pipe/docker_engine")).toEqual({
      problem: expect.stringContaining("named pipes are not supported"),
    });
    expect(parseEngineHost("http://h:2375")).toEqual({
      problem: expect.stringContaining('unsupported scheme "http://"'),
    });
    expect(parseEngineHost("tcp://:2375")).toEqual({
      problem: expect.stringMatching(/no host|not a valid URL/),
    });
  });

  it("never repeats a password from the value", () => {
    expect(redactHost("tcp://admin:s3cret@h:2375")).toBe("tcp://admin:***@h:2375");
    const parsed = parseEngineHost("fd://admin:s3cret@h");
    expect(JSON.stringify(parsed)).not.toContain("s3cret");
  });
});
