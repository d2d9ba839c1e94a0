import { TaskState } from "@a2a-js/sdk";
import { type OpenShell, OpenShell as OpenShellClient, type Sandbox } from "openshell";
import {
  type AgentConnection,
  AgentUnreachableError,
  connectAgent,
  replyText,
  type StreamResponse,
} from "openshell/adapters/a2a";
import { afterAll, beforeAll, expect, it } from "vitest";
import { a2aAgentImage, echoAgentCommand } from "../../../support/a2a-agent/image.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../../../support/test-engines.js";

type Kind = "docker" | "podman";

function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(16).slice(2, 8)}`.slice(0, 19);
}

/** What a person reads from a stream: each event's kind, with the state or the chunk's text. */
function describeEvents(events: StreamResponse[]): string[] {
  return events.map((e) => {
    const p = e.payload;
    if (p?.$case === "statusUpdate") return `status ${TaskState[p.value.status?.state ?? 0]}`;
    if (p?.$case === "artifactUpdate") {
      return `chunk ${(p.value.artifact?.parts ?? []).map((part) => (part.content?.$case === "text" ? part.content.value : "")).join("")}`;
    }
    return p?.$case ?? "empty";
  });
}

/** The sandbox's log text once it contains `text`, or as it is after 10 s. */
async function logsOnceThey(sandbox: Sandbox, text: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const logs = (await sandbox.logs()).map((l) => l.message).join("\n");
    if (logs.includes(text) || Date.now() > deadline) return logs;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The agent starts after the sandbox is READY (Node takes a moment to load the bundle): connect as
 * a caller would, again while nothing answers on the port yet, up to `timeoutMs`.
 */
async function connectWhenUp(sandbox: Sandbox, port: number, timeoutMs = 30_000): Promise<AgentConnection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connectAgent(sandbox, { port });
    } catch (err) {
      if (!(err instanceof AgentUnreachableError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * connectAgent against the echo agent image (@a2a-js/sdk's servers on Debian's Node.js, non-root)
 * in sandboxes of OpenShell.local() over a real engine: through a forward only, the card naming
 * http://localhost:8080/, A2A 1.0 and 0.3.
 */
export function describeConnectAgent(kind: Kind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  let os: OpenShell;

  beforeAll(async () => {
    os = await OpenShellClient.local({ runtime: kind, runtimeOptions: { endpoint }, ephemeral: true });
  });
  afterAll(async () => {
    await os?.close();
  });

  async function agentSandbox(protocol: "1.0" | "0.3"): Promise<Sandbox> {
    const sandbox = await os.sandboxes.create({
      name: uniqueName("a2a"),
      image: a2aAgentImage,
      command: echoAgentCommand(8080, protocol),
    });
    await sandbox.ready({ timeoutMs: 60_000 });
    return sandbox;
  }

  for (const protocol of ["1.0", "0.3"] as const) {
    it(`an A2A ${protocol} agent: card, send, stream, getTask, then close (forward closed) and delete`, async () => {
      const sandbox = await agentSandbox(protocol);
      try {
        const agent = await connectWhenUp(sandbox, 8080);
        expect(agent.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(agent.card.name).toBe("echo");
        // The card names the agent's own view of itself, which does not reach it from here.
        expect(agent.card.supportedInterfaces.map((i) => i.url)).toEqual(["http://localhost:8080/"]);
        expect(agent.protocolVersion).toBe(protocol);

        const reply = await agent.send(`hello over ${kind}`);
        expect(replyText(reply)).toBe(`echo: hello over ${kind}`);
        const task = await agent.getTask((reply as { id: string }).id);
        expect(replyText(task)).toBe(`echo: hello over ${kind}`);

        const events: StreamResponse[] = [];
        for await (const event of agent.stream("hi")) events.push(event);
        expect(describeEvents(events)).toEqual([
          "task",
          "status TASK_STATE_WORKING",
          "chunk ech",
          "chunk o: ",
          "chunk hi",
          "status TASK_STATE_COMPLETED",
        ]);

        await agent.close();
        // The forward is closed: its local port no longer accepts connections.
        await expect(fetch(agent.url)).rejects.toThrow();
        // The agent's own log line for the message (the engine's log stream may trail the reply).
        expect(await logsOnceThey(sandbox, `"hello over ${kind}"`)).toContain(`"hello over ${kind}"`);
      } finally {
        await sandbox.delete();
        await sandbox.deleted({ timeoutMs: 30_000 });
      }
      await expect(os.sandboxes.get(sandbox.name)).rejects.toMatchObject({ code: "not_found" });
    });
  }

  it("a port nothing listens on: AgentUnreachableError naming the port and the sandbox; the connectAgent signal closes the forward", async () => {
    const sandbox = await agentSandbox("1.0");
    try {
      await connectWhenUp(sandbox, 8080).then((a) => a.close());
      const error = await connectAgent(sandbox, { port: 9999 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentUnreachableError);
      expect((error as Error).message).toContain(`port 9999 of sandbox "${sandbox.name}"`);

      // The signal given to connectAgent, once connected, closes the connection and its forward.
      const controller = new AbortController();
      const agent = await connectAgent(sandbox, { port: 8080, signal: controller.signal });
      expect(replyText(await agent.send("before"))).toBe("echo: before");
      controller.abort();
      await expect(agent.send("after")).rejects.toMatchObject({ code: "failed_precondition" });
      await expect(fetch(agent.url)).rejects.toThrow();
    } finally {
      await sandbox.delete();
      await sandbox.deleted({ timeoutMs: 30_000 });
    }
  });
}
