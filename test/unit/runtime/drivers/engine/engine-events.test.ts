import { afterEach, describe, expect, it, vi } from "vitest";
import { toContainerEvent } from "../../../../../src/runtime/drivers/engine/engine-events.js";

const ID = "4f1c0bd0a3e2d6a1f7a0e2b6c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0";

/** Parses as the event stream does, so timeNano loses precision exactly as it would. */
function event(json: string): Record<string, unknown> {
  return JSON.parse(json) as Record<string, unknown>;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("toContainerEvent", () => {
  it("reads a Docker start event: action, id, name, labels and nanosecond time", () => {
    const raw = event(`{
      "status": "start", "id": "${ID}", "from": "alpine:3.20", "Type": "container", "Action": "start",
      "Actor": { "ID": "${ID}", "Attributes": {
        "image": "alpine:3.20", "name": "web-1",
        "openshell.ai/managed-by": "openshell", "openshell.ai/session": "s1", "team": "infra" } },
      "scope": "local", "time": 1714557600, "timeNano": 1714557600123456789 }`);
    expect(toContainerEvent(raw)).toStrictEqual({
      action: "start",
      id: ID,
      name: "web-1",
      labels: { "openshell.ai/managed-by": "openshell", "openshell.ai/session": "s1", team: "infra" },
      time: new Date(1714557600123),
    });
  });

  it("reads a Docker die event's exit code and keeps exit code 0", () => {
    const raw = event(`{
      "status": "die", "id": "${ID}", "Type": "container", "Action": "die",
      "Actor": { "ID": "${ID}", "Attributes": { "exitCode": "0", "image": "alpine", "name": "web-1" } },
      "time": 1714557601, "timeNano": 1714557601000000000 }`);
    const parsed = toContainerEvent(raw);
    expect(parsed?.action).toBe("die");
    expect(parsed?.exitCode).toBe(0);
    expect(parsed?.labels).toEqual({});
  });

  it("reads Podman's died event with containerExitCode as die", () => {
    const raw = event(`{
      "status": "died", "id": "${ID}", "from": "docker.io/library/alpine:3.20", "Type": "container",
      "Action": "died",
      "Actor": { "ID": "${ID}", "Attributes": {
        "containerExitCode": "3", "image": "docker.io/library/alpine:3.20", "name": "web-1", "podId": "",
        "openshell.ai/session": "s1" } },
      "scope": "local", "time": 1714557602, "timeNano": 1714557602500000000 }`);
    expect(toContainerEvent(raw)).toStrictEqual({
      action: "die",
      id: ID,
      name: "web-1",
      labels: { "openshell.ai/session": "s1" },
      exitCode: 3,
      time: new Date(1714557602500),
    });
  });

  it("reads Podman's compat die event, which carries both exit code attributes", () => {
    const raw = event(`{
      "status": "die", "id": "${ID}", "Type": "container", "Action": "die",
      "Actor": { "ID": "${ID}", "Attributes": {
        "containerExitCode": "137", "exitCode": "137", "image": "alpine", "name": "web-1", "podId": "" } },
      "time": 1714557603, "timeNano": 1714557603000000000 }`);
    const parsed = toContainerEvent(raw);
    expect(parsed?.exitCode).toBe(137);
    expect(parsed?.labels).toEqual({});
  });

  it("gives no exit code on events other than die, even when Podman sends one", () => {
    const raw = event(`{
      "status": "start", "id": "${ID}", "Type": "container", "Action": "start",
      "Actor": { "ID": "${ID}", "Attributes": { "containerExitCode": "0", "name": "web-1" } },
      "time": 1714557604 }`);
    const parsed = toContainerEvent(raw);
    expect(parsed).toBeDefined();
    expect(parsed).not.toHaveProperty("exitCode");
  });

  it("gives no exit code on a die event that lacks one", () => {
    const raw = event(
      `{ "Action": "die", "Actor": { "ID": "${ID}", "Attributes": { "name": "w" } }, "time": 1 }`,
    );
    expect(toContainerEvent(raw)).not.toHaveProperty("exitCode");
  });

  it("keeps the verb of Docker's suffixed actions", () => {
    const raw = event(`{
      "status": "exec_start: sh -c echo hi", "id": "${ID}", "Type": "container", "Action": "exec_start: sh -c echo hi",
      "Actor": { "ID": "${ID}", "Attributes": { "image": "alpine", "name": "web-1" } },
      "time": 1714557605, "timeNano": 1714557605000000000 }`);
    expect(toContainerEvent(raw)?.action).toBe("exec_start");
    const health = event(`{ "Action": "health_status: healthy", "Actor": { "ID": "${ID}" }, "time": 1 }`);
    expect(toContainerEvent(health)?.action).toBe("health_status");
  });

  it("reads a kill event without taking its signal for a label", () => {
    const raw = event(`{
      "Action": "kill", "Actor": { "ID": "${ID}", "Attributes": { "name": "web-1", "signal": "15", "image": "a" } },
      "time": 1714557606 }`);
    expect(toContainerEvent(raw)).toMatchObject({ action: "kill", labels: {} });
  });

  it("falls back to the legacy status and id fields when Action and Actor are absent", () => {
    const raw = event(`{ "status": "destroy", "id": "${ID}", "from": "alpine", "time": 1714557607 }`);
    expect(toContainerEvent(raw)).toStrictEqual({
      action: "destroy",
      id: ID,
      name: "",
      labels: {},
      time: new Date(1714557607000),
    });
  });

  it("uses time in seconds when timeNano is absent, and timeNano when both disagree", () => {
    const seconds = event(`{ "Action": "stop", "Actor": { "ID": "${ID}" }, "time": 1714557608 }`);
    expect(toContainerEvent(seconds)?.time).toEqual(new Date("2024-05-01T10:00:08Z"));
    const both = event(
      `{ "Action": "stop", "Actor": { "ID": "${ID}" }, "time": 1, "timeNano": 1714557609250400000 }`,
    );
    expect(toContainerEvent(both)?.time).toEqual(new Date("2024-05-01T10:00:09.250Z"));
    // JSON cannot hold this count exactly (it parses to ...249999872); rounding still lands on .250.
    const inexact = event(
      `{ "Action": "stop", "Actor": { "ID": "${ID}" }, "timeNano": 1714557609250000000 }`,
    );
    expect(toContainerEvent(inexact)?.time).toEqual(new Date("2024-05-01T10:00:09.250Z"));
  });

  it("stamps an event with neither time with the current time", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2024-06-01T12:00:00Z"));
    const raw = event(`{ "Action": "create", "Actor": { "ID": "${ID}" } }`);
    expect(toContainerEvent(raw)?.time).toEqual(new Date("2024-06-01T12:00:00Z"));
  });

  it("ignores attribute values that are not strings", () => {
    const raw = event(
      `{ "Action": "create", "Actor": { "ID": "${ID}", "Attributes": { "a": 1, "b": "x", "name": 5 } } }`,
    );
    expect(toContainerEvent(raw)).toMatchObject({ labels: { b: "x" }, name: "" });
  });

  it("skips messages without an action or an id", () => {
    expect(
      toContainerEvent(event(`{ "Type": "container", "Actor": { "ID": "${ID}" }, "time": 1 }`)),
    ).toBeUndefined();
    expect(toContainerEvent(event(`{ "Action": "start", "Actor": {}, "time": 1 }`))).toBeUndefined();
    expect(toContainerEvent(event(`{ "Action": 5, "id": "${ID}" }`))).toBeUndefined();
    expect(toContainerEvent({})).toBeUndefined();
  });
});
