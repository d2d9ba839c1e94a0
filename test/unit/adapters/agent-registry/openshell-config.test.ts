import { InvalidArgumentError } from "openshell";
import {
  adapterApplyResultSchema,
  discoveredTargetSchema,
  gatewaySelection,
  logLineSchema,
  openShellDeploymentConfigSchema,
  openShellRuntimeConfigSchema,
  parseRemoveInput,
  setCondition,
} from "openshell/adapters/agent-registry";
import { describe, expect, it } from "vitest";
import { openApiErrors } from "./openapi-validator.js";

const runtime = (config: Record<string, unknown>) => ({
  apiVersion: "ar.dev/v1alpha1",
  kind: "Runtime",
  metadata: { name: "rt" },
  spec: { type: "OpenShell", config },
});

describe("Runtime config: which gateway", () => {
  it("selects local mode, a named gateway, an endpoint, or the active gateway", () => {
    const select = (config: Record<string, unknown>) =>
      gatewaySelection(openShellRuntimeConfigSchema.parse(config));
    expect(select({ gateway: "local" })).toEqual({ kind: "local" });
    expect(select({ gateway: "lab" })).toEqual({ kind: "named", name: "lab" });
    expect(select({ endpoint: "https://gw.example.com:8443" })).toEqual({
      kind: "endpoint",
      url: "https://gw.example.com:8443",
    });
    expect(select({})).toEqual({ kind: "active" });
  });

  it("refuses both a gateway and an endpoint, or an endpoint that is not http(s), naming the field", () => {
    const removeError = (config: Record<string, unknown>) => {
      const deployment = {
        apiVersion: "ar.dev/v1alpha1",
        kind: "Deployment",
        metadata: { name: "d" },
        spec: { targetRef: { kind: "Agent", name: "a" }, runtimeRef: { kind: "Runtime", name: "rt" } },
      };
      try {
        parseRemoveInput({ deployment, runtime: runtime(config) });
      } catch (error) {
        return error as InvalidArgumentError;
      }
      throw new Error("accepted");
    };
    expect(removeError({ gateway: "lab", endpoint: "https://gw:8443" }).field).toBe(
      "runtime.spec.config.endpoint",
    );
    const error = removeError({ endpoint: "grpc://gw:8443" });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.field).toBe("runtime.spec.config.endpoint");
    expect(error.message).toContain("http(s) URL");
  });
});

describe("Deployment runtimeConfig", () => {
  it("keeps keys it does not know (the registry allows anything there) and turns numeric quantities into strings", () => {
    const config = openShellDeploymentConfigSchema.parse({
      port: 9999,
      resources: { limits: { cpu: 2, memory: "512Mi" } },
      somethingElse: { nested: true },
    });
    expect(config).toEqual({
      port: 9999,
      resources: { limits: { cpu: "2", memory: "512Mi" } },
      somethingElse: { nested: true },
    });
  });

  it.each([
    [{ port: 0 }, "port"],
    [{ port: 8080.5 }, "port"],
    [{ command: [] }, "command"],
    [{ command: ["", "x"] }, "command"],
    [{ egressHosts: ["https://api.example.com"] }, "egressHosts.0"],
    [{ credentialEnv: ["1BAD"] }, "credentialEnv.0"],
    [{ healthPath: "healthz" }, "healthPath"],
  ])("refuses %j at %s", (config, path) => {
    const result = openShellDeploymentConfigSchema.safeParse(config);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.join(".")).toBe(path);
  });
});

describe("adapter answers", () => {
  it("an apply answer has conditions the registry's Status accepts", () => {
    const conditions = setCondition(
      [],
      {
        type: "Progressing",
        status: "True",
        reason: "SandboxCreating",
        message: "creating sandbox ar-echo-abcdefgh",
      },
      new Date("2026-08-21T10:00:00Z"),
    );
    const answer = adapterApplyResultSchema.parse({
      conditions,
      runtimeMetadata: { "sandbox-name": "ar-echo-abcdefgh" },
      details: { phase: "PROVISIONING" },
    });
    expect(openApiErrors("Status", { conditions: answer.conditions, details: answer.details })).toEqual([]);
    expect(
      adapterApplyResultSchema.safeParse({
        conditions: [{ type: "Ready", status: "Yes" }],
        runtimeMetadata: {},
        details: {},
      }).success,
    ).toBe(false);
  });

  it("log lines and discovered targets have the contract's fields", () => {
    expect(
      logLineSchema.parse({
        timestamp: "2026-08-21T10:00:01.5Z",
        stream: "stdout",
        line: "listening on 8080",
      }).line,
    ).toBe("listening on 8080");
    expect(logLineSchema.safeParse({ timestamp: "yesterday", stream: "stdout", line: "" }).success).toBe(
      false,
    );
    expect(
      discoveredTargetSchema.parse({
        targetKind: "Agent",
        namespace: "default",
        name: "echo",
        runtimeMetadata: { sandbox: "x" },
      }).tag,
    ).toBeUndefined();
  });
});
