import { describe, expect, it } from "vitest";
import { ContainerRuntimeError } from "../../../../../src/errors.js";
import { parseCliDate } from "../../../../../src/runtime/drivers/apple-container/cli-json.js";
import {
  mapState,
  parseContainerList,
} from "../../../../../src/runtime/drivers/apple-container/container-json.js";
import {
  parseImages,
  parseNetworks,
  parseVersion,
  parseVolumes,
  systemStatusSchema,
} from "../../../../../src/runtime/drivers/apple-container/resource-json.js";
import { fixture } from "./fake-runner.js";

const CMD = "container list --all --format json";
const SESSION = { "openshell.ai/managed-by": "openshell", "openshell.ai/session": "sess0001" };

describe("container list, 1.0+ generation", () => {
  const [web, done, fresh] = parseContainerList(fixture("list-1.0.json"), CMD);

  it("reads a running container with ports, networks and labels", () => {
    expect(web).toEqual({
      id: "web",
      name: "web",
      image: "docker.io/library/nginx:latest",
      labels: { ...SESSION, app: "web" },
      state: "running",
      running: true,
      exitCode: null,
      oomKilled: false,
      startedAt: new Date("2025-07-01T10:00:00Z"),
      finishedAt: null,
      addresses: [
        { network: "default", ipv4: "192.168.64.6" },
        { network: "backend", ipv4: "192.168.65.3" },
      ],
      ports: [
        { containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 8080 },
        // A range (count 2) becomes one entry per port.
        { containerPort: 53, protocol: "udp", hostIp: "0.0.0.0", hostPort: 5353 },
        { containerPort: 54, protocol: "udp", hostIp: "0.0.0.0", hostPort: 5354 },
      ],
    });
  });

  it("reads a stopped container that ran as exited, one that never started as created", () => {
    expect(done).toMatchObject({
      id: "job-done",
      state: "exited",
      running: false,
      exitCode: null,
      addresses: [],
    });
    expect(done?.startedAt).toEqual(new Date("2025-07-01T10:05:00Z"));
    expect(fresh).toMatchObject({ id: "fresh", state: "created", running: false, startedAt: null });
  });

  it("reads an exit code when a CLI reports one", () => {
    const records = JSON.parse(fixture("list-1.0.json")) as { status: Record<string, unknown> }[];
    const record = records[1] as { status: Record<string, unknown> };
    record.status.exitRecord = { exitCode: 3, exitedAt: "2025-07-01T10:06:00Z" };
    const [info] = parseContainerList(JSON.stringify([record]), CMD);
    expect(info).toMatchObject({
      state: "exited",
      exitCode: 3,
      finishedAt: new Date("2025-07-01T10:06:00Z"),
    });
  });
});

describe("container list, pre-1.0 generation", () => {
  const [one, two, three] = parseContainerList(fixture("list-pre-1.0.json"), CMD);

  it("reads the state from the status string and addresses from top-level networks", () => {
    expect(one).toMatchObject({
      id: "agent-1",
      name: "agent-1",
      image: "docker.io/library/python:3.12-slim",
      labels: { ...SESSION, role: "agent" },
      state: "running",
      running: true,
      addresses: [{ network: "default", ipv4: "192.168.64.3" }],
      ports: [{ containerPort: 8000, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 18000 }],
    });
  });

  it("reads numeric dates as seconds since 2001-01-01", () => {
    expect(one?.startedAt?.toISOString()).toBe("2025-07-01T00:00:00.500Z");
    expect(two).toMatchObject({ state: "exited", startedAt: new Date("2025-07-01T01:00:00Z") });
    expect(three).toMatchObject({ state: "created", startedAt: null, labels: {} });
  });
});

describe("parseCliDate", () => {
  it("reads ISO text, reference-date seconds, Unix seconds and Unix milliseconds", () => {
    expect(parseCliDate("2025-07-01T10:00:00Z")).toEqual(new Date("2025-07-01T10:00:00Z"));
    expect(parseCliDate(773020800)).toEqual(new Date("2025-07-01T00:00:00Z"));
    expect(parseCliDate(0)).toEqual(new Date("2001-01-01T00:00:00Z"));
    expect(parseCliDate(1751328000)).toEqual(new Date("2025-07-01T00:00:00Z"));
    expect(parseCliDate(1751328000123)).toEqual(new Date("2025-07-01T00:00:00.123Z"));
    expect(parseCliDate(null)).toBeNull();
    expect(parseCliDate(undefined)).toBeNull();
    expect(parseCliDate("yesterday")).toBeNull();
  });
});

describe("mapState", () => {
  it("maps every CLI state", () => {
    expect(mapState("running", true)).toBe("running");
    expect(mapState("stopping", true)).toBe("stopping");
    expect(mapState("stopped", true)).toBe("exited");
    expect(mapState("stopped", false)).toBe("created");
    expect(mapState("bootstrapped", false)).toBe("created");
    expect(mapState("unknown", false)).toBe("unknown");
    expect(mapState("something-new", true)).toBe("unknown");
  });
});

describe("unexpected shapes", () => {
  it("names the command and the field", () => {
    const attempt = () =>
      parseContainerList('[{"configuration":{"id":"x"},"status":{"state":"running"}}]', CMD);
    expect(attempt).toThrow(ContainerRuntimeError);
    expect(attempt).toThrow(/container list --all --format json.*unexpected shape/);
  });

  it("names the command when the output is not JSON", () => {
    expect(() => parseContainerList("ID IMAGE STATE\nweb nginx running\n", CMD)).toThrow(
      /`container list --all --format json` did not print JSON/,
    );
  });

  it("reads an empty list", () => {
    expect(parseContainerList(fixture("list-empty.json"), CMD)).toEqual([]);
  });
});

describe("images", () => {
  it("reads `image inspect` before 1.0 and picks the host's platform", () => {
    const [arm] = parseImages(fixture("image-inspect.json"), "container image inspect alpine", "arm64");
    expect(arm).toEqual({
      id: "sha256:beefdd6ac2c8ce4d1e3b0d4b5ea7b5f0e5d95e3b8c23b0b9fce3b6e8f3ab9e1c",
      tags: ["docker.io/library/alpine:3.20"],
      os: "linux",
      architecture: "arm64",
      sizeBytes: 4090339,
      labels: { "org.opencontainers.image.title": "alpine", "org.opencontainers.image.version": "3.20.3" },
      // No USER or WORKDIR in the image config: it runs as root, in /.
      user: "",
      workdir: "",
      entrypoint: [],
      cmd: ["/bin/sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      repoDigests: [],
    });
    const [amd] = parseImages(fixture("image-inspect.json"), "container image inspect alpine", "amd64");
    expect(amd).toMatchObject({ architecture: "amd64", sizeBytes: 3623807 });
    // No variant for this machine: the first real one, never the attestation manifest.
    const [other] = parseImages(fixture("image-inspect.json"), "container image inspect alpine", "riscv64");
    expect(other).toMatchObject({ architecture: "amd64" });
  });

  it("reads `image inspect` from 1.0 (null labels, USER and WORKDIR included)", () => {
    const [python] = parseImages(
      fixture("image-inspect-1.x.json"),
      "container image inspect python",
      "arm64",
    );
    expect(python).toEqual({
      id: "sha256:c0ffee0b7d2a1e6f3c9b8a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f",
      tags: ["docker.io/library/python:3.12-slim"],
      os: "linux",
      architecture: "arm64",
      sizeBytes: 52428800,
      labels: {},
      user: "1000:1000",
      workdir: "/app",
      entrypoint: [],
      cmd: ["python3"],
      env: ["LANG=C.UTF-8"],
      repoDigests: [],
    });
  });

  it("reads `image list` in both generations", () => {
    const legacy = parseImages(fixture("image-list.json"), "container image list --format json", "arm64");
    expect(legacy.map((image) => [image.tags[0], image.id, image.sizeBytes])).toEqual([
      [
        "docker.io/library/alpine:3.20",
        "sha256:beefdd6ac2c8ce4d1e3b0d4b5ea7b5f0e5d95e3b8c23b0b9fce3b6e8f3ab9e1c",
        9218,
      ],
      [
        "docker.io/library/python:3.12-slim",
        "sha256:c0ffee0b7d2a1e6f3c9b8a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f",
        10229,
      ],
    ]);
    const modern = parseImages(fixture("image-list-1.x.json"), "container image list --format json", "arm64");
    expect(modern.map((image) => [image.tags[0], image.architecture])).toEqual([
      ["docker.io/library/python:3.12-slim", "arm64"],
      ["docker.io/library/alpine:3.20", "arm64"],
    ]);
  });

  it("refuses an image record with no name", () => {
    expect(() => parseImages('[{"index":{"digest":"sha256:1"}}]', "container image list", "arm64")).toThrow(
      /neither name nor reference/,
    );
  });
});

describe("networks and volumes", () => {
  it("reads `network list` in both generations", () => {
    expect(parseNetworks(fixture("network-list.json"), "container network list --format json")).toEqual([
      {
        id: "default",
        name: "default",
        internal: false,
        labels: { "com.apple.container.resource.role": "builtin" },
        subnet: "192.168.64.0/24",
        gateway: "192.168.64.1",
      },
      {
        id: "sbx-net",
        name: "sbx-net",
        internal: false,
        labels: SESSION,
        subnet: "192.168.65.0/24",
        gateway: "192.168.65.1",
      },
      {
        id: "lab",
        name: "lab",
        internal: true,
        labels: {},
        subnet: "192.168.66.0/24",
        gateway: "192.168.66.1",
      },
    ]);
    // 0.5.0-0.7.x: the subnet is `status.address`, the gateway `status.gateway`.
    expect(
      parseNetworks(fixture("network-list-pre-1.0.json"), "container network list --format json"),
    ).toEqual([
      {
        id: "default",
        name: "default",
        internal: false,
        labels: {},
        subnet: "192.168.64.0/24",
        gateway: "192.168.64.1",
      },
      {
        id: "sbx-net",
        name: "sbx-net",
        internal: false,
        labels: SESSION,
        subnet: "192.168.65.0/24",
        gateway: "192.168.65.1",
      },
    ]);
  });

  it("reads `volume list` in both generations", () => {
    const expected = [
      { name: "sbx-data", labels: SESSION },
      { name: "cache", labels: {} },
    ];
    expect(parseVolumes(fixture("volume-list.json"), "container volume list --format json")).toEqual(
      expected,
    );
    expect(parseVolumes(fixture("volume-list-pre-1.0.json"), "container volume list --format json")).toEqual(
      expected,
    );
  });
});

describe("system status and version", () => {
  it("reads both status generations", () => {
    expect(systemStatusSchema.parse(JSON.parse(fixture("system-status-running.json")))).toMatchObject({
      status: "running",
      apiServerVersion: "container-apiserver version 1.1.0 (build: release, commit: 5973b9c)",
    });
    expect(
      systemStatusSchema.parse(JSON.parse(fixture("system-status-running-unreleased.json"))),
    ).toMatchObject({
      status: "running",
      client: { version: "1.2.2" },
      host: { architecture: "arm64" },
    });
    expect(systemStatusSchema.parse(JSON.parse(fixture("system-status-unregistered.json"))).status).toBe(
      "unregistered",
    );
  });

  it("reads the version number out of a banner", () => {
    expect(parseVersion(fixture("version.txt"))).toBe("1.1.0");
    expect(parseVersion(fixture("version-0.12.txt"))).toBe("0.12.3");
    expect(parseVersion("container-apiserver version 1.1.0 (build: release, commit: 5973b9c)")).toBe("1.1.0");
    expect(parseVersion("0.6.0-beta.2")).toBe("0.6.0-beta.2");
    expect(parseVersion("dev build\n")).toBe("dev build");
  });
});
