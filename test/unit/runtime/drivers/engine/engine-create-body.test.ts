import { describe, expect, it } from "vitest";
import type { ContainerSpec } from "../../../../../src/runtime/container-spec.js";
import { engineCreateBody } from "../../../../../src/runtime/drivers/engine/engine-create-body.js";

const labels = { "openshell.ai/managed-by": "openshell", "openshell.ai/session": "s1", team: "infra" };

describe("engineCreateBody", () => {
  it("turns a full spec into the Docker create body", () => {
    const spec: ContainerSpec = {
      image: "alpine:3.20",
      name: "web-1",
      command: ["-c", "sleep 60"],
      entrypoint: ["/bin/sh"],
      env: { A: "1", EMPTY: "", URL: "http://x/?a=b=c" },
      labels: { ignored: "the body takes the labels argument" },
      user: "1000:1000",
      workdir: "/srv",
      mounts: [
        { type: "bind", source: "/home/me/src", target: "/src", readOnly: true },
        { type: "volume", source: "cache", target: "/cache" },
        { type: "tmpfs", target: "/tmp", sizeMiB: 64, mode: 0o1777 },
        { type: "tmpfs", target: "/run" },
      ],
      readOnlyRoot: true,
      capAdd: ["NET_ADMIN"],
      capDrop: ["ALL"],
      noNewPrivileges: true,
      privileged: false,
      resources: { cpus: 1.5, memoryMiB: 512, pidsLimit: 256 },
      gpus: "all",
      network: "backend",
      ports: [
        { containerPort: 8080 },
        { containerPort: 8080, hostPort: 18080, hostIp: "0.0.0.0" },
        { containerPort: 9000, hostPort: 0 },
        { containerPort: 53, protocol: "udp", hostPort: 5353, hostIp: "::1" },
      ],
      extraHosts: [
        { host: "db", ip: "10.0.0.2" },
        { host: "host.docker.internal", ip: "host-gateway" },
      ],
      tty: true,
      openStdin: true,
    };
    expect(engineCreateBody(spec, labels)).toStrictEqual({
      name: "web-1",
      Image: "alpine:3.20",
      Cmd: ["-c", "sleep 60"],
      Entrypoint: ["/bin/sh"],
      Env: ["A=1", "EMPTY=", "URL=http://x/?a=b=c"],
      Labels: labels,
      User: "1000:1000",
      WorkingDir: "/srv",
      Tty: true,
      OpenStdin: true,
      ExposedPorts: { "8080/tcp": {}, "9000/tcp": {}, "53/udp": {} },
      HostConfig: {
        Mounts: [
          { Type: "bind", Source: "/home/me/src", Target: "/src", ReadOnly: true },
          { Type: "volume", Source: "cache", Target: "/cache", ReadOnly: false },
        ],
        Tmpfs: { "/tmp": "size=64m,mode=1777", "/run": "" },
        ReadonlyRootfs: true,
        Privileged: false,
        CapAdd: ["NET_ADMIN"],
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        NanoCpus: 1_500_000_000,
        Memory: 512 * 1024 * 1024,
        PidsLimit: 256,
        DeviceRequests: [{ Driver: "", Count: -1, Capabilities: [["gpu"]] }],
        NetworkMode: "backend",
        PortBindings: {
          "8080/tcp": [
            { HostIp: "127.0.0.1", HostPort: "" },
            { HostIp: "0.0.0.0", HostPort: "18080" },
          ],
          "9000/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
          "53/udp": [{ HostIp: "::1", HostPort: "5353" }],
        },
        ExtraHosts: ["db:10.0.0.2", "host.docker.internal:host-gateway"],
      },
    });
  });

  it("leaves every optional key out of a minimal spec and keeps the safe defaults", () => {
    expect(engineCreateBody({ image: "alpine" }, labels)).toStrictEqual({
      Image: "alpine",
      Env: [],
      Labels: labels,
      Tty: false,
      OpenStdin: false,
      HostConfig: { Mounts: [], ReadonlyRootfs: false, Privileged: false },
    });
  });

  it("gives a tmpfs exec and the container's user as owner (uid/gid on Docker, U on Podman), empty on both", () => {
    const spec: ContainerSpec = {
      image: "a",
      user: "1000:1001",
      mounts: [
        { type: "tmpfs", target: "/sandbox", mode: 0o1777, exec: true, userOwned: true },
        { type: "tmpfs", target: "/scratch", exec: false },
      ],
    };
    expect(engineCreateBody(spec, labels).HostConfig?.Tmpfs).toEqual({
      "/sandbox": "exec,mode=1777,uid=1000,gid=1001",
      "/scratch": "noexec",
    });
    expect(engineCreateBody(spec, labels, "podman").HostConfig?.Tmpfs).toEqual({
      "/sandbox": "notmpcopyup,exec,mode=1777,U",
      "/scratch": "notmpcopyup,noexec",
    });
    // Docker cannot resolve a name for a tmpfs owner: the uid alone, or none.
    const named = (user: string) =>
      engineCreateBody({ ...spec, user }, labels).HostConfig?.Tmpfs?.["/sandbox"] as string;
    expect(named("1000")).toBe("exec,mode=1777,uid=1000");
    expect(named("sandbox")).toBe("exec,mode=1777");
  });

  it("keeps a read-only root read-only on Podman, whose compat API adds writable /run, /tmp and /var/tmp", () => {
    const spec: ContainerSpec = {
      image: "a",
      readOnlyRoot: true,
      mounts: [
        { type: "tmpfs", target: "/tmp", mode: 0o1777 },
        { type: "bind", source: "/srv/run", target: "/run" },
      ],
    };
    expect(engineCreateBody(spec, labels, "podman").HostConfig?.Tmpfs).toEqual({
      "/tmp": "notmpcopyup,mode=1777",
      "/var/tmp": "ro",
    });
    expect(engineCreateBody(spec, labels, "docker").HostConfig?.Tmpfs).toEqual({ "/tmp": "mode=1777" });
    expect(engineCreateBody({ image: "a" }, labels, "podman").HostConfig).not.toHaveProperty("Tmpfs");
  });

  it("passes a GPU count through as Count", () => {
    const body = engineCreateBody({ image: "cuda", gpus: 2 }, labels);
    expect(body.HostConfig?.DeviceRequests).toEqual([{ Driver: "", Count: 2, Capabilities: [["gpu"]] }]);
  });

  it("rounds fractional CPUs to whole nanoCPUs", () => {
    expect(engineCreateBody({ image: "a", resources: { cpus: 0.1 } }, labels).HostConfig?.NanoCpus).toBe(
      100_000_000,
    );
    expect(engineCreateBody({ image: "a", resources: { cpus: 1 / 3 } }, labels).HostConfig?.NanoCpus).toBe(
      333_333_333,
    );
  });

  it("does not ask for no-new-privileges or publish anything when those options are off or empty", () => {
    const body = engineCreateBody({ image: "a", noNewPrivileges: false, ports: [] }, labels);
    expect(body.HostConfig).not.toHaveProperty("SecurityOpt");
    expect(body.HostConfig).not.toHaveProperty("PortBindings");
    expect(body).not.toHaveProperty("ExposedPorts");
  });

  it("copies the spec's arrays instead of sharing them", () => {
    const command = ["echo", "hi"];
    const body = engineCreateBody({ image: "a", command }, labels);
    command.push("mutated");
    expect(body.Cmd).toEqual(["echo", "hi"]);
  });
});
