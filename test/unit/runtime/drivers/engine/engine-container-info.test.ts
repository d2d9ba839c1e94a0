import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import {
  labelFilter,
  toContainerInfo,
  toContainerState,
  toContainerSummary,
} from "../../../../../src/runtime/drivers/engine/engine-container-info.js";

const ZERO = "0001-01-01T00:00:00Z";
const ID = "4f1c0bd0a3e2d6a1f7a0e2b6c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0";

interface StateOverrides {
  Status: string;
  Running?: boolean;
  ExitCode?: number;
  OOMKilled?: boolean;
  StartedAt?: string;
  FinishedAt?: string;
}

/** The parts of `GET /containers/{id}/json` the driver reads, shaped as Docker 26 sends them. */
function inspect(state: StateOverrides, extra: Record<string, unknown> = {}): Docker.ContainerInspectInfo {
  return {
    Id: ID,
    Created: "2024-05-01T09:59:58.5Z",
    Path: "sleep",
    Args: ["60"],
    State: {
      Status: state.Status,
      Running: state.Running ?? false,
      Paused: false,
      Restarting: false,
      OOMKilled: state.OOMKilled ?? false,
      Dead: false,
      Pid: state.Running ? 4242 : 0,
      ExitCode: state.ExitCode ?? 0,
      Error: "",
      StartedAt: state.StartedAt ?? ZERO,
      FinishedAt: state.FinishedAt ?? ZERO,
    },
    Image: "sha256:91ef0af61f39ece4d6710e465df5ee6ca854a1d4d6ebd0c6b5ad0a8c4aebf5f4",
    Name: "/web-1",
    RestartCount: 0,
    Config: {
      Hostname: "4f1c0bd0a3e2",
      Image: "alpine:3.20",
      Labels: { "openshell.ai/session": "s1", team: "infra" },
    },
    NetworkSettings: {
      Ports: {},
      Networks: {},
    },
    ...extra,
  } as unknown as Docker.ContainerInspectInfo;
}

describe("toContainerInfo", () => {
  it("reports a running container with its ports and addresses", () => {
    const raw = inspect(
      { Status: "running", Running: true, StartedAt: "2024-05-01T10:00:00.123456789Z" },
      {
        NetworkSettings: {
          Ports: {
            "8080/tcp": [
              { HostIp: "127.0.0.1", HostPort: "32768" },
              { HostIp: "::1", HostPort: "32768" },
            ],
            "53/udp": [{ HostIp: "0.0.0.0", HostPort: "5353" }],
            // Exposed in the image but not published: Docker sends null.
            "9000/tcp": null,
          },
          Networks: {
            bridge: { IPAddress: "172.17.0.2", IPPrefixLen: 16, Gateway: "172.17.0.1" },
            backend: { IPAddress: "10.89.0.5", IPPrefixLen: 24 },
          },
        },
      },
    );
    expect(toContainerInfo(raw)).toStrictEqual({
      id: ID,
      name: "web-1",
      image: "alpine:3.20",
      labels: { "openshell.ai/session": "s1", team: "infra" },
      state: "running",
      running: true,
      exitCode: null,
      oomKilled: false,
      startedAt: new Date("2024-05-01T10:00:00.123Z"),
      finishedAt: null,
      addresses: [
        { network: "bridge", ipv4: "172.17.0.2" },
        { network: "backend", ipv4: "10.89.0.5" },
      ],
      ports: [
        { containerPort: 8080, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 32768 },
        { containerPort: 8080, protocol: "tcp", hostIp: "::1", hostPort: 32768 },
        { containerPort: 53, protocol: "udp", hostIp: "0.0.0.0", hostPort: 5353 },
      ],
    });
  });

  it("reports an exited container's exit code, OOM kill and finish time", () => {
    const info = toContainerInfo(
      inspect({
        Status: "exited",
        ExitCode: 137,
        OOMKilled: true,
        StartedAt: "2024-05-01T10:00:00Z",
        FinishedAt: "2024-05-01T10:05:30.5Z",
      }),
    );
    expect(info.state).toBe("exited");
    expect(info.running).toBe(false);
    expect(info.exitCode).toBe(137);
    expect(info.oomKilled).toBe(true);
    expect(info.startedAt).toEqual(new Date("2024-05-01T10:00:00Z"));
    expect(info.finishedAt).toEqual(new Date("2024-05-01T10:05:30.500Z"));
  });

  it("reports exit code 0 for a container that exited cleanly", () => {
    const info = toContainerInfo(
      inspect({
        Status: "exited",
        ExitCode: 0,
        StartedAt: "2024-05-01T10:00:00Z",
        FinishedAt: "2024-05-01T10:00:01Z",
      }),
    );
    expect(info.exitCode).toBe(0);
  });

  it("reports never-set times of a created container as null, and no exit code", () => {
    const info = toContainerInfo(inspect({ Status: "created" }));
    expect(info.state).toBe("created");
    expect(info.running).toBe(false);
    expect(info.startedAt).toBeNull();
    expect(info.finishedAt).toBeNull();
    expect(info.exitCode).toBeNull();
    expect(info.ports).toEqual([]);
    expect(info.addresses).toEqual([]);
  });

  it("hides the previous run's finish time and exit code while the container runs again", () => {
    const info = toContainerInfo(
      inspect({
        Status: "running",
        Running: true,
        ExitCode: 1,
        StartedAt: "2024-05-02T00:00:00Z",
        FinishedAt: "2024-05-01T23:00:00Z",
      }),
    );
    expect(info.exitCode).toBeNull();
    expect(info.finishedAt).toBeNull();
  });

  it("reads Podman's configured as created and stopped as exited", () => {
    const configured = toContainerInfo(inspect({ Status: "configured" }));
    expect(configured.state).toBe("created");
    expect(configured.exitCode).toBeNull();

    const stopped = toContainerInfo(
      inspect({
        Status: "stopped",
        ExitCode: 143,
        StartedAt: "2024-05-01T10:00:00Z",
        FinishedAt: "2024-05-01T10:00:09Z",
      }),
    );
    expect(stopped.state).toBe("exited");
    expect(stopped.exitCode).toBe(143);
    expect(stopped.finishedAt).toEqual(new Date("2024-05-01T10:00:09Z"));
  });

  it("copes with missing labels, ports and networks and an address-less network", () => {
    const info = toContainerInfo(
      inspect(
        { Status: "created" },
        {
          Config: { Image: "alpine", Labels: null },
          NetworkSettings: { Ports: null, Networks: { none: { IPAddress: "" } } },
        },
      ),
    );
    expect(info.labels).toEqual({});
    expect(info.ports).toEqual([]);
    expect(info.addresses).toEqual([{ network: "none", ipv4: "" }]);
  });
});

describe("toContainerState", () => {
  it("keeps Docker's states and maps the rest", () => {
    for (const state of ["created", "running", "paused", "restarting", "exited", "removing", "dead"]) {
      expect(toContainerState(state)).toBe(state);
    }
    expect(toContainerState("configured")).toBe("created");
    expect(toContainerState("initialized")).toBe("created");
    expect(toContainerState("stopped")).toBe("exited");
    expect(toContainerState("something-new")).toBe("unknown");
    expect(toContainerState(undefined)).toBe("unknown");
  });
});

describe("toContainerSummary", () => {
  it("reads a list entry, name without its leading slash", () => {
    const raw = {
      Id: ID,
      Names: ["/web-1"],
      Image: "alpine:3.20",
      ImageID: "sha256:91ef",
      Command: "sleep 60",
      Created: 1714557598,
      Ports: [],
      Labels: { team: "infra" },
      State: "running",
      Status: "Up 5 seconds",
    } as unknown as Docker.ContainerInfo;
    expect(toContainerSummary(raw)).toStrictEqual({
      id: ID,
      name: "web-1",
      image: "alpine:3.20",
      labels: { team: "infra" },
      state: "running",
    });
  });

  it("reads Podman's entries: names without a slash, configured state, no labels", () => {
    const raw = {
      Id: ID,
      Names: ["web-2"],
      Image: "docker.io/library/alpine:3.20",
      Labels: null,
      State: "configured",
    } as unknown as Docker.ContainerInfo;
    expect(toContainerSummary(raw)).toStrictEqual({
      id: ID,
      name: "web-2",
      image: "docker.io/library/alpine:3.20",
      labels: {},
      state: "created",
    });
  });

  it("gives an empty name when the engine lists none", () => {
    const raw = {
      Id: ID,
      Names: [],
      Image: "a",
      Labels: {},
      State: "exited",
    } as unknown as Docker.ContainerInfo;
    expect(toContainerSummary(raw).name).toBe("");
  });
});

describe("labelFilter", () => {
  it("writes each label as key=value", () => {
    expect(labelFilter({ "openshell.ai/session": "s1", team: "infra" })).toEqual([
      "openshell.ai/session=s1",
      "team=infra",
    ]);
  });

  it("is empty without labels", () => {
    expect(labelFilter(undefined)).toEqual([]);
    expect(labelFilter({})).toEqual([]);
  });
});
