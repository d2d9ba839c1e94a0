import {
  findCondition,
  runtimeMetadataAnnotations,
  runtimeMetadataFromAnnotations,
  setCondition,
} from "openshell/adapters/agent-registry";
import { describe, expect, it } from "vitest";
import { openApiErrors } from "./openapi-validator.js";

const t0 = new Date("2026-08-21T10:00:00.000Z");
const t1 = new Date("2026-08-21T10:00:05.000Z");
const t2 = new Date("2026-08-21T10:00:09.000Z");

describe("setCondition", () => {
  it("appends a new condition with the time it started to hold", () => {
    const conditions = setCondition(
      undefined,
      { type: "Progressing", status: "True", reason: "SandboxCreating", message: "creating sandbox" },
      t0,
    );
    expect(conditions).toEqual([
      {
        type: "Progressing",
        status: "True",
        reason: "SandboxCreating",
        message: "creating sandbox",
        lastTransitionTime: "2026-08-21T10:00:00.000Z",
      },
    ]);
    expect(openApiErrors("Status", { conditions })).toEqual([]);
  });

  it("keeps lastTransitionTime when only the reason or message changes", () => {
    const first = setCondition(
      [],
      { type: "Progressing", status: "True", reason: "SandboxCreating", message: "creating" },
      t0,
    );
    const second = setCondition(
      first,
      { type: "Progressing", status: "True", reason: "WaitingForAgent", message: "probing the agent card" },
      t1,
    );
    expect(second).toEqual([
      {
        type: "Progressing",
        status: "True",
        reason: "WaitingForAgent",
        message: "probing the agent card",
        lastTransitionTime: t0.toISOString(),
      },
    ]);
  });

  it("moves lastTransitionTime when the status changes, replacing the condition in place", () => {
    let conditions = setCondition(
      null,
      { type: "Progressing", status: "True", reason: "SandboxCreating", message: "creating" },
      t0,
    );
    conditions = setCondition(
      conditions,
      { type: "Ready", status: "False", reason: "Deploying", message: "not yet" },
      t0,
    );
    const before = conditions;
    conditions = setCondition(
      conditions,
      { type: "Progressing", status: "False", reason: "Deployed", message: "done" },
      t2,
    );
    conditions = setCondition(
      conditions,
      { type: "Ready", status: "True", reason: "AgentAnswering", message: "agent card served" },
      t2,
    );
    expect(conditions.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual([
      ["Progressing", "False", t2.toISOString()],
      ["Ready", "True", t2.toISOString()],
    ]);
    // The caller's array is left as it was.
    expect(before.map((c) => c.status)).toEqual(["True", "False"]);
    expect(findCondition(conditions, "Ready")?.reason).toBe("AgentAnswering");
    expect(findCondition(conditions, "Degraded")).toBeUndefined();
  });

  it("stamps a condition that came without a transition time", () => {
    const conditions = setCondition(
      [{ type: "Ready", status: "False" }],
      { type: "Ready", status: "False", reason: "Removed", message: "sandbox deleted" },
      t1,
    );
    expect(conditions[0]?.lastTransitionTime).toBe(t1.toISOString());
  });
});

describe("runtimeMetadata annotations", () => {
  it("round-trip under the registry's runtimes.agentregistry.solo.io/<type>/ prefix, other annotations ignored", () => {
    const annotations = runtimeMetadataAnnotations("OpenShell", {
      "sandbox-name": "ar-echo-abc",
      gateway: "local",
    });
    expect(annotations).toEqual({
      "runtimes.agentregistry.solo.io/OpenShell/sandbox-name": "ar-echo-abc",
      "runtimes.agentregistry.solo.io/OpenShell/gateway": "local",
    });
    const read = runtimeMetadataFromAnnotations("OpenShell", {
      ...annotations,
      "runtimes.agentregistry.solo.io/Kagent/name": "x",
      owner: "team-a",
    });
    expect(read).toEqual({ "sandbox-name": "ar-echo-abc", gateway: "local" });
  });
});
