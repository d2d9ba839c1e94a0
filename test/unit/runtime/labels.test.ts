import { describe, expect, it } from "vitest";
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  matchesLabels,
  newSessionId,
  SESSION_LABEL,
  sessionLabels,
  withSessionLabels,
} from "../../../src/runtime/labels.js";

describe("session labels", () => {
  it("marks objects as managed by openshell and as belonging to the session", () => {
    expect(sessionLabels("abc123")).toEqual({
      "openshell.ai/managed-by": "openshell",
      "openshell.ai/session": "abc123",
    });
    expect([MANAGED_BY_LABEL, MANAGED_BY_VALUE, SESSION_LABEL]).toEqual([
      "openshell.ai/managed-by",
      "openshell",
      "openshell.ai/session",
    ]);
  });

  it("keeps the caller's labels and lets the session's win on a clash", () => {
    const caller = {
      team: "infra",
      "openshell.ai/session": "someone-else",
      "openshell.ai/managed-by": "not-openshell",
    };
    expect(withSessionLabels(caller, "s1")).toEqual({
      team: "infra",
      "openshell.ai/managed-by": "openshell",
      "openshell.ai/session": "s1",
    });
    // The caller's object is not changed.
    expect(caller["openshell.ai/session"]).toBe("someone-else");
  });

  it("gives just the session labels when the caller has none", () => {
    expect(withSessionLabels(undefined, "s2")).toEqual(sessionLabels("s2"));
    expect(withSessionLabels({}, "s2")).toEqual(sessionLabels("s2"));
  });

  it("makes short, distinct session ids", () => {
    const ids = new Set(Array.from({ length: 50 }, () => newSessionId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("matchesLabels", () => {
  const labels = { app: "web", tier: "front", "openshell.ai/session": "s1" };

  it("matches everything when there is no selector", () => {
    expect(matchesLabels(labels, undefined)).toBe(true);
    expect(matchesLabels({}, undefined)).toBe(true);
    expect(matchesLabels(labels, {})).toBe(true);
  });

  it("matches when every selector pair is present with the same value", () => {
    expect(matchesLabels(labels, { app: "web" })).toBe(true);
    expect(matchesLabels(labels, { app: "web", "openshell.ai/session": "s1" })).toBe(true);
  });

  it("does not match a different value or a missing key", () => {
    expect(matchesLabels(labels, { app: "db" })).toBe(false);
    expect(matchesLabels(labels, { app: "web", owner: "x" })).toBe(false);
    expect(matchesLabels({}, { app: "web" })).toBe(false);
    expect(matchesLabels(labels, { app: "" })).toBe(false);
  });
});
