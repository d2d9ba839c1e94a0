import { describe, expect, it } from "vitest";
import { buildExecRequest } from "../../../src/client/exec/exec-stream.js";
import { buildCreateSandboxRequest } from "../../../src/client/sandboxes/create-sandbox-options.js";
import { InvalidArgumentError } from "../../../src/errors.js";

function invalid(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error("expected an InvalidArgumentError");
}

describe("create sandbox validation", () => {
  it.each([
    ["Upper", "DNS-1123"],
    ["-lead", "DNS-1123"],
    ["trail-", "DNS-1123"],
    ["double--dash", "--"],
    ["a-name-that-is-too-long", "19"],
  ])("rejects the name %j and names the field", (name, hint) => {
    const err = invalid(() => buildCreateSandboxRequest({ name }, "default"));
    expect(err.field).toBe("name");
    expect(err.message).toContain("sandbox.name");
    expect(err.message).toContain(hint);
  });

  it("accepts a 19-character DNS-1123 name", () => {
    expect(buildCreateSandboxRequest({ name: "a234567890123456789" }, "default").name).toBe(
      "a234567890123456789",
    );
  });

  it("names the offending env key", () => {
    const err = invalid(() => buildCreateSandboxRequest({ env: { GOOD: "1", "1BAD": "x" } }, "default"));
    expect(err.field).toBe("env.1BAD");
  });

  it("limits env to 128 entries and values to 8 KiB", () => {
    const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`K${i}`, "v"]));
    expect(invalid(() => buildCreateSandboxRequest({ env: many }, "default")).message).toMatch(/128/);
    expect(
      invalid(() => buildCreateSandboxRequest({ env: { BIG: "x".repeat(8193) } }, "default")).message,
    ).toMatch(/8 KiB/);
  });

  it("limits the command to 256 arguments and providers to 32", () => {
    expect(invalid(() => buildCreateSandboxRequest({ command: Array(257).fill("x") }, "default")).field).toBe(
      "command",
    );
    expect(
      invalid(() => buildCreateSandboxRequest({ providers: Array(33).fill("p") }, "default")).field,
    ).toBe("providers");
  });

  it("rejects a policy over 256 KiB", () => {
    const endpoints = Array.from({ length: 3000 }, (_, i) => ({
      host: `host-${i}.example.com`.padEnd(100, "x"),
      port: 443,
    }));
    const err = invalid(() =>
      buildCreateSandboxRequest(
        { policy: { networkPolicies: { big: { name: "big", endpoints } } } },
        "default",
      ),
    );
    expect(err.field).toBe("policy");
  });

  it("rejects unknown options instead of ignoring them", () => {
    const err = invalid(() => buildCreateSandboxRequest({ imgae: "typo" } as never, "default"));
    expect(err.message).toMatch(/imgae/);
  });

  it("builds the wire request: spec, template, resources as a Struct, labels and workspace", () => {
    const req = buildCreateSandboxRequest(
      {
        name: "demo",
        image: "busybox",
        command: ["sleep", "60"],
        env: { A: "1" },
        labels: { team: "x" },
        resources: { limits: { cpu: "500m", memory: "512Mi" } },
        gpus: 1,
      },
      "ws1",
    );
    expect(req.workspace).toBe("ws1");
    expect(req.labels).toEqual({ team: "x" });
    expect(req.spec?.command).toEqual(["sleep", "60"]);
    expect(req.spec?.environment).toEqual({ A: "1" });
    expect(req.spec?.template?.image).toBe("busybox");
    expect(req.spec?.template?.resources).toEqual({ limits: { cpu: "500m", memory: "512Mi" } });
    expect(req.spec?.resourceRequirements?.gpu?.count).toBe(1);
  });

  it("rejects a malformed resource quantity", () => {
    expect(
      invalid(() => buildCreateSandboxRequest({ resources: { limits: { memory: "lots" } } }, "default"))
        .field,
    ).toBe("resources.limits.memory");
  });
});

describe("exec validation", () => {
  it("needs a program", () => {
    expect(invalid(() => buildExecRequest("id", [], {})).field).toBe("command");
  });

  it("rejects NUL bytes and over-long arguments, naming the argument", () => {
    expect(invalid(() => buildExecRequest("id", ["echo", "a\0b"], {})).field).toBe("command.1");
    expect(invalid(() => buildExecRequest("id", ["echo", "x".repeat(32 * 1024 + 1)], {})).message).toMatch(
      /32 KiB/,
    );
    expect(invalid(() => buildExecRequest("id", Array(1025).fill("x"), {})).message).toMatch(/1024/);
  });

  it("checks env keys", () => {
    expect(invalid(() => buildExecRequest("id", ["env"], { env: { "BAD-KEY": "1" } })).field).toBe(
      "env.BAD-KEY",
    );
  });

  it("encodes string stdin as UTF-8", () => {
    const req = buildExecRequest("id", ["cat"], {
      stdin: "héllo",
      timeoutSeconds: 5,
      tty: true,
      cols: 100,
      rows: 40,
    });
    expect(Buffer.from(req.stdin).toString("utf8")).toBe("héllo");
    expect(req.timeoutSeconds).toBe(5);
    expect([req.tty, req.cols, req.rows]).toEqual([true, 100, 40]);
  });
});
