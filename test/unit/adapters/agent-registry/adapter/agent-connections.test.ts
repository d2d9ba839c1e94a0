import type { OpenShell } from "openshell";
import { AgentUnreachableError, replyText } from "openshell/adapters/a2a";
import { afterEach, describe, expect, it } from "vitest";
import { AgentConnections } from "../../../../../adapters/agent-registry/adapter/agent-connections.js";
import { type EchoAgent, startEchoAgent } from "../../../../support/a2a-agent/echo-agent.js";

const agents: EchoAgent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close().catch(() => undefined);
});

/**
 * A client whose sandboxes' forwards lead straight to a real echo agent on loopback (the forward
 * itself is tested elsewhere): counts the forwards opened and closed.
 */
function clientTo(agent: () => EchoAgent) {
  const counts = { opened: 0, closed: 0 };
  const client = {
    sandboxes: {
      handle: (name: string) => ({
        name,
        forward: async () => {
          counts.opened += 1;
          return {
            url: agent().url,
            close: async () => {
              counts.closed += 1;
            },
          };
        },
      }),
    },
  } as unknown as OpenShell;
  return { client, counts };
}

describe("AgentConnections (adapter.invoke's connections)", () => {
  it("keeps one connection per deployment across sends, and opens a new one for a replaced sandbox", async () => {
    const agent = await startEchoAgent({ protocol: "1.0" });
    agents.push(agent);
    const { client, counts } = clientTo(() => agent);
    const connections = new AgentConnections(client);
    const sandbox = { name: "ar-echo-aaaaaaaa", id: "id-1" };
    for (let i = 0; i < 3; i++) {
      expect(replyText(await connections.send("k", sandbox, 8080, `m${i}`, undefined))).toContain(`m${i}`);
    }
    expect(counts).toEqual({ opened: 1, closed: 0 });
    await connections.send("k", { ...sandbox, id: "id-2" }, 8080, "after replace", undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(counts).toEqual({ opened: 2, closed: 1 });
    await connections.closeAll();
    expect(counts).toEqual({ opened: 2, closed: 2 });
  });

  it("drops a connection whose agent cannot be reached; the next send connects again", async () => {
    let current = await startEchoAgent({ protocol: "1.0" });
    agents.push(current);
    const { client, counts } = clientTo(() => current);
    const connections = new AgentConnections(client);
    const sandbox = { name: "ar-echo-bbbbbbbb", id: "id-1" };
    await connections.send("k", sandbox, 8080, "one", undefined);
    await current.close();
    await expect(connections.send("k", sandbox, 8080, "two", undefined)).rejects.toBeInstanceOf(
      AgentUnreachableError,
    );
    current = await startEchoAgent({ protocol: "1.0" });
    agents.push(current);
    expect(replyText(await connections.send("k", sandbox, 8080, "three", undefined))).toContain("three");
    expect(counts.opened).toBe(2);
    await connections.closeAll();
  });
});
