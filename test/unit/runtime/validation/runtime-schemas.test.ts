import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../../src/errors.js";
import type { ContainerSpec } from "../../../../src/runtime/container-spec.js";
import {
  containerNameSchema,
  containerSpecSchema,
  execSpecSchema,
  idSchema,
  logOptionsSchema,
  networkSpecSchema,
  volumeSpecSchema,
} from "../../../../src/runtime/validation/runtime-schemas.js";
import { validate } from "../../../../src/validation/validate.js";

const fullSpec: ContainerSpec = {
  image: "ghcr.io/example/agent:1.2",
  name: "agent-1.web_a",
  command: ["-c", "sleep 60"],
  entrypoint: ["/bin/sh"],
  env: { PATH: "/usr/bin", EMPTY: "", "lower.case-key": "x=y" },
  labels: { team: "infra", "example.com/empty": "" },
  user: "1000:1000",
  workdir: "/srv",
  mounts: [
    { type: "bind", source: "/home/me/src", target: "/src", readOnly: true },
    { type: "volume", source: "cache", target: "/cache" },
    { type: "tmpfs", target: "/tmp", sizeMiB: 64, mode: 0o1777 },
  ],
  readOnlyRoot: true,
  capAdd: ["NET_ADMIN"],
  capDrop: ["ALL"],
  noNewPrivileges: true,
  privileged: false,
  resources: { cpus: 0.5, memoryMiB: 6, pidsLimit: 100 },
  gpus: "all",
  network: "backend",
  ports: [
    { containerPort: 8080 },
    { containerPort: 53, protocol: "udp", hostPort: 5353, hostIp: "0.0.0.0" },
    { containerPort: 65535, hostPort: 0, hostIp: "::1" },
  ],
  extraHosts: [
    { host: "db", ip: "10.0.0.2" },
    { host: "v6", ip: "fd00::2" },
    { host: "host.docker.internal", ip: "host-gateway" },
  ],
  tty: true,
  openStdin: false,
};

/** The InvalidArgumentError validate throws for `spec`, as the runtimes call it. */
function rejection(
  schema: Parameters<typeof validate>[0],
  input: unknown,
  what = "spec",
): InvalidArgumentError {
  try {
    validate(schema, input, what);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error("expected validate to throw");
}

function specRejection(overrides: Record<string, unknown>): InvalidArgumentError {
  return rejection(containerSpecSchema, { image: "alpine", ...overrides });
}

describe("containerSpecSchema through validate", () => {
  it("accepts a full spec and returns it unchanged", () => {
    expect(validate(containerSpecSchema, fullSpec, "spec")).toEqual(fullSpec);
  });

  it("accepts a spec with only an image", () => {
    expect(validate(containerSpecSchema, { image: "alpine" }, "spec")).toEqual({ image: "alpine" });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ["an empty image", { image: "" }, "image", "must not be empty"],
    ["a name starting with '-'", { name: "-web" }, "name", "must start with a letter or digit"],
    ["a name with a slash", { name: "a/b" }, "name", "must start with a letter or digit"],
    ["a name too long", { name: "a".repeat(254) }, "name", "must be at most 253 characters"],
    ["a NUL in an argument", { command: ["echo", "a\0b"] }, "command.1", "must not contain NUL"],
    ["a NUL in an env value", { env: { A: "x\0" } }, "env.A", "must not contain NUL"],
    ["a relative workdir", { workdir: "srv" }, "workdir", "must be an absolute path"],
    ["an empty user", { user: "" }, "user", "must not be empty"],
    [
      "a relative mount target",
      { mounts: [{ type: "bind", source: "/h", target: "data" }] },
      "mounts.0.target",
      "must be an absolute path",
    ],
    [
      "a relative bind source",
      {
        mounts: [
          { type: "tmpfs", target: "/t" },
          { type: "bind", source: "./h", target: "/d" },
        ],
      },
      "mounts.1.source",
      "must be an absolute path",
    ],
    [
      "an empty volume name",
      { mounts: [{ type: "volume", source: "", target: "/d" }] },
      "mounts.0.source",
      "must not be empty",
    ],
    [
      "a tmpfs mode beyond 07777",
      { mounts: [{ type: "tmpfs", target: "/t", mode: 0o10000 }] },
      "mounts.0.mode",
      "",
    ],
    ["an unknown mount type", { mounts: [{ type: "nfs", target: "/t" }] }, "mounts.0.type", ""],
    ["port 0", { ports: [{ containerPort: 0 }] }, "ports.0.containerPort", "must be 1-65535"],
    [
      "port 65536",
      { ports: [{ containerPort: 80 }, { containerPort: 65536 }] },
      "ports.1.containerPort",
      "must be 1-65535",
    ],
    ["a fractional port", { ports: [{ containerPort: 80.5 }] }, "ports.0.containerPort", ""],
    ["a host port out of range", { ports: [{ containerPort: 80, hostPort: 70000 }] }, "ports.0.hostPort", ""],
    ["a host name as hostIp", { ports: [{ containerPort: 80, hostIp: "localhost" }] }, "ports.0.hostIp", ""],
    ["an unknown protocol", { ports: [{ containerPort: 80, protocol: "sctp" }] }, "ports.0.protocol", ""],
    ["zero CPUs", { resources: { cpus: 0 } }, "resources.cpus", "must be more than 0"],
    [
      "memory below the engines' minimum",
      { resources: { memoryMiB: 4 } },
      "resources.memoryMiB",
      "must be at least 6 MiB",
    ],
    ["a zero pids limit", { resources: { pidsLimit: 0 } }, "resources.pidsLimit", ""],
    ["zero GPUs", { gpus: 0 }, "gpus", ""],
    [
      "an extra host with a bad address",
      { extraHosts: [{ host: "db", ip: "db.local" }] },
      "extraHosts.0.ip",
      "",
    ],
    [
      "an extra host without a name",
      { extraHosts: [{ host: "", ip: "10.0.0.1" }] },
      "extraHosts.0.host",
      "must not be empty",
    ],
    ["an empty network name", { network: "" }, "network", "must not be empty"],
    ["an empty capability", { capAdd: ["NET_ADMIN", ""] }, "capAdd.1", "must not be empty"],
    ["a tty that is not a boolean", { tty: "yes" }, "tty", ""],
  ])("rejects %s at %s", (_case, overrides, field, words) => {
    const error = specRejection(overrides);
    expect(error.field).toBe(field);
    expect(error.code).toBe("invalid_argument");
    expect(error.message.startsWith(`invalid spec.${field}: `)).toBe(true);
    expect(error.message).toContain(words);
  });

  it("names the env key that holds '='", () => {
    const error = specRejection({ env: { OK: "1", "A=B": "x" } });
    expect(error.field).toBe("env.A=B");
    expect(error.message.startsWith("invalid spec.env.A=B: ")).toBe(true);
  });

  it("names an empty label key", () => {
    const error = specRejection({ labels: { "": "x" } });
    expect(error.field).toBe("labels.");
    expect(error.message.startsWith("invalid spec.labels.: ")).toBe(true);
  });

  it("names the image when it is missing", () => {
    const error = rejection(containerSpecSchema, { name: "web-1" });
    expect(error.field).toBe("image");
    expect(error.message).toMatch(/^invalid spec\.image: /);
  });

  it("names the spec itself when it is not an object", () => {
    const error = rejection(containerSpecSchema, null);
    expect(error.field).toBe("spec");
    expect(error.message).toMatch(/^invalid spec: /);
  });
});

describe("the other runtime schemas through validate", () => {
  it("accepts container and network names the engines accept", () => {
    for (const name of ["ab", "web-1", "a.b_c-d", "0start", "a".repeat(253)]) {
      expect(validate(containerNameSchema, name, "name")).toBe(name);
    }
    for (const name of ["a", "", "_x", ".x", "a b", "é-x"]) {
      expect(rejection(containerNameSchema, name, "name").field).toBe("name");
    }
  });

  it("checks exec specs", () => {
    expect(
      validate(
        execSpecSchema,
        {
          command: ["ls", "-l"],
          env: { A: "1" },
          workdir: "/",
          tty: true,
          terminalSize: { columns: 80, rows: 24 },
        },
        "exec",
      ),
    ).toMatchObject({ command: ["ls", "-l"] });
    const empty = rejection(execSpecSchema, { command: [] }, "exec");
    expect(empty.field).toBe("command");
    expect(empty.message).toBe("invalid exec.command: must hold at least the program to run");
    expect(rejection(execSpecSchema, { command: ["ls"], workdir: "tmp" }, "exec").field).toBe("workdir");
    expect(
      rejection(execSpecSchema, { command: ["ls"], terminalSize: { columns: 0, rows: 24 } }, "exec").field,
    ).toBe("terminalSize.columns");
  });

  it("checks network and volume specs", () => {
    expect(validate(networkSpecSchema, { name: "backend", internal: true }, "spec")).toEqual({
      name: "backend",
      internal: true,
    });
    const network = rejection(networkSpecSchema, { name: "bad name" });
    expect(network.field).toBe("name");
    expect(network.message).toMatch(/^invalid spec\.name: must start with a letter or digit/);
    expect(rejection(volumeSpecSchema, { name: "v1", labels: { a: "b\0" } }).field).toBe("labels.a");
  });

  it("checks log options", () => {
    expect(validate(logOptionsSchema, { tail: 0, since: new Date(0), timestamps: true }, "options")).toEqual({
      tail: 0,
      since: new Date(0),
      timestamps: true,
    });
    expect(rejection(logOptionsSchema, { tail: -1 }, "options").field).toBe("tail");
    expect(rejection(logOptionsSchema, { since: "2024-05-01" }, "options").field).toBe("since");
  });

  it("checks ids", () => {
    expect(validate(idSchema, "4f1c", "id")).toBe("4f1c");
    const error = rejection(idSchema, "", "id");
    expect(error.field).toBe("id");
    expect(error.message).toBe("invalid id: must not be empty");
  });
});
