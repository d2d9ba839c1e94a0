import { describe, expect, it } from "vitest";
import type { DeploymentStatus } from "../../../../../adapters/agent-registry/adapter/deployment-adapter.js";
import { DeploymentRecord } from "../../../../../adapters/agent-registry/adapter/deployment-record.js";
import {
  degraded,
  progressing,
  ready,
  removed,
} from "../../../../../adapters/agent-registry/adapter/deployment-status.js";

function reason(status: DeploymentStatus, type: string): string {
  return status.conditions.find((c) => c.type === type)?.reason ?? "-";
}

function record(): DeploymentRecord {
  return new DeploymentRecord("fp", "ar-x-12345678", {}, progressing([], "Deploying", "deploying"), {
    sandboxName: "ar-x-12345678",
  });
}

describe("DeploymentRecord", () => {
  it("gives a watcher the status now, then every change in order, and ends when the record ends", async () => {
    const r = record();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const status of r.watch())
        seen.push(`${reason(status, "Progressing")}/${reason(status, "Ready")}`);
    })();
    await Promise.resolve();
    r.update((c) => progressing(c, "WaitingForAgent", "waiting"));
    r.update((c) => ready(c, "answers"));
    r.end((c) => removed(c, "gone"));
    await watching;
    expect(seen).toEqual([
      "Deploying/Deploying",
      "WaitingForAgent/WaitingForAgent",
      "Deployed/AgentAnswering",
      "Removed/Removed",
    ]);
  });

  it("does not tell watchers of an update that changes nothing", async () => {
    const r = record();
    const seen: DeploymentStatus[] = [];
    const watching = (async () => {
      for await (const status of r.watch()) seen.push(status);
    })();
    r.update((c) => c);
    r.update((c) => degraded(c, "ReadinessTimeout", "late"));
    r.update((c) => degraded(c, "ReadinessTimeout", "late"));
    r.end();
    await watching;
    expect(seen.map((s) => reason(s, "Degraded"))).toEqual(["Deploying", "ReadinessTimeout"]);
  });

  it("ends a watch when its signal fires, and keeps the record for other watchers", async () => {
    const r = record();
    const controller = new AbortController();
    const first: DeploymentStatus[] = [];
    const watching = (async () => {
      for await (const status of r.watch(controller.signal)) first.push(status);
    })();
    await Promise.resolve();
    controller.abort();
    await watching;
    expect(first).toHaveLength(1);
    r.update((c) => ready(c, "answers"));
    const next = await r.watch()[Symbol.asyncIterator]().next();
    expect(next.value && reason(next.value, "Ready")).toBe("AgentAnswering");
    expect(r.ended).toBe(false);
  });

  it("hands out copies: a watcher changing what it got does not change the record", async () => {
    const r = record();
    const got = await r.watch()[Symbol.asyncIterator]().next();
    got.value?.conditions.splice(0);
    expect(r.status.conditions.length).toBeGreaterThan(0);
  });

  it("ignores updates after it ended", () => {
    const r = record();
    r.end((c) => removed(c, "gone"));
    r.update((c) => ready(c, "late answer"));
    expect(reason(r.status, "Ready")).toBe("Removed");
    expect(r.controller.signal.aborted).toBe(true);
  });
});
