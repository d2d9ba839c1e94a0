import { replyText } from "openshell/adapters/a2a";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type EchoAgent, startEchoAgent } from "../../../support/a2a-agent/echo-agent.js";
import { connectAt } from "./a2a-servers.js";

const agents: EchoAgent[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const agent of agents.splice(0)) await agent.close();
});

/**
 * Counts the abort listeners still attached to each signal: added minus removed. Node's fetch
 * attaches one to the signal of every request and lets it go only when the request is collected,
 * so a signal handed to every call of a long-lived connection piles them up (and Node warns).
 */
function trackAbortListeners(): () => number {
  const attached = new Map<EventTarget, number>();
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  vi.spyOn(EventTarget.prototype, "addEventListener").mockImplementation(function (
    this: EventTarget,
    ...args
  ) {
    if (args[0] === "abort" && this instanceof AbortSignal) attached.set(this, (attached.get(this) ?? 0) + 1);
    return add.apply(this, args);
  });
  vi.spyOn(EventTarget.prototype, "removeEventListener").mockImplementation(function (
    this: EventTarget,
    ...args
  ) {
    if (args[0] === "abort" && this instanceof AbortSignal) attached.set(this, (attached.get(this) ?? 0) - 1);
    return remove.apply(this, args);
  });
  return () => Math.max(0, ...attached.values());
}

describe("an AgentConnection's calls", () => {
  it("do not pile abort listeners on one signal over many sends (with and without a signal of their own)", async () => {
    const agent = await startEchoAgent({ protocol: "1.0" });
    agents.push(agent);
    const connection = await connectAt(agent.url);
    try {
      const mostOnOneSignal = trackAbortListeners();
      for (let i = 0; i < 30; i++) expect(replyText(await connection.send(`m${i}`))).toContain(`m${i}`);
      const caller = new AbortController();
      for (let i = 0; i < 30; i++) await connection.send(`s${i}`, { signal: caller.signal });
      expect(mostOnOneSignal()).toBeLessThan(5);
    } finally {
      await connection.close();
    }
  });
});
