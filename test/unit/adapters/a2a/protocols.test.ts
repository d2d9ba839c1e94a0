import { type StreamResponse, TaskState } from "@a2a-js/sdk";
import { replyText, textMessage } from "openshell/adapters/a2a";
import { afterEach, describe, expect, it } from "vitest";
import {
  type EchoAgent,
  type EchoAgentOptions,
  startEchoAgent,
} from "../../../support/a2a-agent/echo-agent.js";
import { closedPort, connectAt } from "./a2a-servers.js";

const agents: EchoAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function agent(options: EchoAgentOptions): Promise<EchoAgent> {
  const started = await startEchoAgent(options);
  agents.push(started);
  return started;
}

/** What a person reads from a stream: each event's kind, with the state or the chunk's text. */
function describeEvents(events: StreamResponse[]): string[] {
  return events.map((e) => {
    const p = e.payload;
    if (p?.$case === "statusUpdate") return `status ${TaskState[p.value.status?.state ?? 0]}`;
    if (p?.$case === "artifactUpdate")
      return `chunk ${replyText({ parts: p.value.artifact?.parts ?? [] } as never)}`;
    return p?.$case ?? "empty";
  });
}

async function collect(events: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const all: StreamResponse[] = [];
  for await (const e of events) all.push(e);
  return all;
}

const ECHO_STREAM = [
  "task",
  "status TASK_STATE_WORKING",
  "chunk ech",
  "chunk o: ",
  "chunk hi",
  "status TASK_STATE_COMPLETED",
];

describe("connectAgent's client: the agent is reached through the forward, whatever its card names", () => {
  it("a card naming an address that does not resolve (the agent's own view of itself)", async () => {
    const echo = await agent({ cardUrl: () => "http://echo-agent.invalid:8080/" });
    await using client = await connectAt(echo.url);
    expect(client.card.supportedInterfaces[0]?.url).toBe("http://echo-agent.invalid:8080/");
    const reply = await client.send("hello");
    expect(replyText(reply)).toBe("echo: hello");
  });

  it("a card naming localhost on a port where nothing listens, with a path: the path is kept", async () => {
    const port = await closedPort();
    const echo = await agent({ cardUrl: () => `http://localhost:${port}/a2a/jsonrpc?tenant=x` });
    await using client = await connectAt(echo.url);
    expect(replyText(await client.send("over a path"))).toBe("echo: over a path");
    expect(describeEvents(await collect(client.stream("hi")))).toEqual(ECHO_STREAM);
  });
});

describe("A2A 1.0 and 0.3 method names, against @a2a-js/sdk's own servers", () => {
  const cases: { title: string; options: EchoAgentOptions; starts: string; ends: string }[] = [
    { title: "a 1.0 agent with its own card", options: { protocol: "1.0" }, starts: "1.0", ends: "1.0" },
    {
      title: "a 0.3 agent (SDK 0.3.14) with its own 0.3 card",
      options: { protocol: "0.3" },
      starts: "0.3",
      ends: "0.3",
    },
    {
      title: "an agent answering both, card listing both",
      options: { protocol: "both" },
      starts: "1.0",
      ends: "1.0",
    },
    {
      title:
        "a 0.3 agent behind a card written for 1.0 (it answers SendMessage with -32601 method not found)",
      options: { protocol: "0.3", cardShape: "1.0" },
      starts: "1.0",
      ends: "0.3",
    },
    {
      title:
        "a 1.0 agent behind a stale 0.3 card (it answers message/send with -32009 version not supported)",
      options: { protocol: "1.0", cardShape: "0.3" },
      starts: "0.3",
      ends: "1.0",
    },
  ];

  for (const { title, options, starts, ends } of cases) {
    it(`${title}: send, then stream, getTask, cancelTask`, async () => {
      const echo = await agent(options);
      await using client = await connectAt(echo.url);
      expect(client.protocolVersion).toBe(starts);
      const reply = await client.send("hello");
      expect(client.protocolVersion).toBe(ends);
      expect(replyText(reply)).toBe("echo: hello");
      expect(reply).toHaveProperty("status.state", TaskState.TASK_STATE_COMPLETED);

      expect(describeEvents(await collect(client.stream("hi")))).toEqual(ECHO_STREAM);

      const id = (reply as { id: string }).id;
      const task = await client.getTask(id);
      expect(task.id).toBe(id);
      expect(replyText(task)).toBe("echo: hello");

      const held = client.stream("hold");
      const seen: StreamResponse[] = [];
      for await (const event of held) {
        seen.push(event);
        if (event.payload?.$case === "task") {
          const canceled = await client.cancelTask(event.payload.value.id);
          expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
        }
      }
      expect(describeEvents(seen)).toEqual([
        "task",
        "status TASK_STATE_WORKING",
        "status TASK_STATE_CANCELED",
      ]);
    });

    it(`${title}: a stream as the first call`, async () => {
      const echo = await agent(options);
      await using client = await connectAt(echo.url);
      expect(describeEvents(await collect(client.stream("hi")))).toEqual(ECHO_STREAM);
      expect(client.protocolVersion).toBe(ends);
    });
  }
});

describe("textMessage", () => {
  it("continues a conversation: the reply to a message with a contextId is in that context", async () => {
    const echo = await agent({ protocol: "1.0" });
    await using client = await connectAt(echo.url);
    const first = await client.send("one");
    const second = await client.send(textMessage("two", { contextId: first.contextId, messageId: "m-2" }));
    expect(second.contextId).toBe(first.contextId);
    expect(replyText(second)).toBe("echo: two");
    expect((second as { history: { messageId: string }[] }).history.map((m) => m.messageId)).toContain("m-2");
  });
});
