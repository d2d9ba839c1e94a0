import { CanceledError, FailedPreconditionError, InvalidArgumentError, TimeoutError } from "openshell";
import {
  AgentCallError,
  AgentCardError,
  AgentUnreachableError,
  connectAgent,
  replyText,
} from "openshell/adapters/a2a";
import { afterEach, describe, expect, it } from "vitest";
import { rewriteUrl } from "../../../../adapters/a2a/forward-fetch.js";
import { type EchoAgent, startEchoAgent } from "../../../support/a2a-agent/echo-agent.js";
import { closedPort, connectAt, plainServer } from "./a2a-servers.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(answer: Parameters<typeof plainServer>[0]): Promise<string> {
  const server = await plainServer(answer);
  closers.push(server.close);
  return server.url;
}

async function echo(): Promise<EchoAgent> {
  const agent = await startEchoAgent();
  closers.push(agent.close);
  return agent;
}

describe("connecting to something that is not an A2A agent says what to check", () => {
  it("nothing listening behind the forward: AgentUnreachableError naming the port", async () => {
    const error = await connectAt(`http://127.0.0.1:${await closedPort()}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentUnreachableError);
    expect(error).toMatchObject({ code: "unavailable", port: 8080 });
    expect((error as Error).message).toMatch(
      /nothing answered HTTP on port 8080 of sandbox "test".*listens on port 8080/,
    );
  });

  it("an HTTP server with no card at the path: AgentCardError not_found with the status, the port and the path", async () => {
    const url = await serve({ status: 404, body: "Not Found" });
    const error = await connectAt(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCardError);
    expect(error).toMatchObject({
      code: "failed_precondition",
      problem: "not_found",
      status: 404,
      port: 8080,
      cardPath: "/.well-known/agent-card.json",
    });
    expect((error as Error).message).toContain("no A2A agent card at /.well-known/agent-card.json");
    expect((error as Error).message).toContain("cardPath");
  });

  it("a web page instead of a card: AgentCardError invalid, quoting how the answer starts", async () => {
    const url = await serve({ status: 200, body: "<!doctype html><title>hi</title>" });
    const error = await connectAt(url).catch((e: unknown) => e);
    expect(error).toMatchObject({ problem: "invalid", status: 200 });
    expect((error as Error).message).toContain('the answer is not JSON (it starts with "<!doctype html>');
  });

  it("JSON that is not a card (no name; no interface): AgentCardError invalid", async () => {
    const noName = await connectAt(await serve({ status: 200, body: '{"hello":"world"}' })).catch(
      (e: unknown) => e,
    );
    expect(noName).toMatchObject({ problem: "invalid" });
    expect((noName as Error).message).toContain('it has no "name"');
    const noInterface = await connectAt(
      await serve({ status: 200, body: '{"name":"x","supportedInterfaces":[]}' }),
    ).catch((e: unknown) => e);
    expect(noInterface).toMatchObject({ problem: "invalid" });
    expect((noInterface as Error).message).toContain("it names no interface");
  });

  it("a card offering only gRPC: AgentCardError no_jsonrpc naming what it offers", async () => {
    const card = {
      name: "grpc-only",
      supportedInterfaces: [
        { url: "http://localhost:50051", protocolBinding: "GRPC", protocolVersion: "1.0" },
      ],
    };
    const error = await connectAt(await serve({ status: 200, body: JSON.stringify(card) })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ problem: "no_jsonrpc" });
    expect((error as Error).message).toContain("offers no JSON-RPC interface (only GRPC)");
  });

  it("the card at another path, given as cardPath", async () => {
    const agent = await echo();
    const wrong = await connectAt(agent.url, { cardPath: "/agent.json" }).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ problem: "not_found", cardPath: "/agent.json", status: 404 });
  });

  it("a port that accepts and never answers: TimeoutError after timeoutMs", async () => {
    const url = await serve("hang");
    const started = Date.now();
    const error = await connectAt(url, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain("no answer within 300 ms");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("the caller's signal during the card read: CanceledError", async () => {
    const url = await serve("hang");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await connectAt(url, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanceledError);
  });
});

describe("calls on a connection", () => {
  it("an unknown task: AgentCallError with the agent's JSON-RPC code (-32001 task not found)", async () => {
    const agent = await echo();
    await using client = await connectAt(agent.url);
    const error = await client.getTask("no-such-task").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ operation: "getTask", rpcCode: -32001 });
    expect((error as Error).message).toContain("getTask (GetTask / tasks/get)");
  });

  it("a call's own signal cancels that call only: CanceledError, and the connection still works", async () => {
    const agent = await echo();
    await using client = await connectAt(agent.url);
    const controller = new AbortController();
    const held = client.stream("hold", { signal: controller.signal });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of held) {
        seen.push(event.payload?.$case ?? "");
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen[0]).toBe("task");
    expect(error).toBeInstanceOf(CanceledError);
    expect(replyText(await client.send("still there"))).toBe("echo: still there");
    expect(client.closes()).toBe(0);
  });

  it("close() closes the forward once, ends calls in flight, and later calls say the connection is closed", async () => {
    const agent = await echo();
    const client = await connectAt(agent.url);
    const inFlight = (async () => {
      for await (const _ of client.stream("hold")) await client.close();
    })().catch((e: unknown) => e);
    expect(await inFlight).toBeInstanceOf(CanceledError);
    await client.close();
    await client[Symbol.asyncDispose]();
    expect(client.closes()).toBe(1);
    const after = await client.send("hello").catch((e: unknown) => e);
    expect(after).toBeInstanceOf(FailedPreconditionError);
    expect((after as Error).message).toContain("is closed. Call connectAgent() again.");
  });

  it("the connectAgent signal, once connected, closes the connection and its forward", async () => {
    const agent = await echo();
    const controller = new AbortController();
    const client = await connectAt(agent.url, { signal: controller.signal });
    controller.abort();
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.closes()).toBe(1);
    expect(await client.send("hello").catch((e: unknown) => e)).toBeInstanceOf(FailedPreconditionError);
  });

  it("bad input names the field", async () => {
    const agent = await echo();
    await using client = await connectAt(agent.url);
    await expect(client.send(42 as never)).rejects.toMatchObject({ field: "message" });
    await expect(client.getTask("")).rejects.toMatchObject({ field: "id" });
    await expect(client.cancelTask(undefined as never)).rejects.toMatchObject({ field: "id" });
  });
});

describe("connectAgent validates before it opens anything", () => {
  const sandbox = {
    name: "never-used",
    forward: () => {
      throw new Error("forward must not be opened for invalid options");
    },
  };
  for (const [options, field] of [
    [{ port: 0 }, "port"],
    [{ port: 70_000 }, "port"],
    [{ port: 8080, cardPath: "agent.json" }, "cardPath"],
    [{ port: 8080, timeoutMs: -1 }, "timeoutMs"],
    [{ port: 8080, extra: true }, "options"],
  ] as const) {
    it(`${JSON.stringify(options)}: InvalidArgumentError, field ${field}`, async () => {
      const error = await connectAgent(sandbox as never, options as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ field });
    });
  }

  it("something that is not a sandbox: field sandbox", async () => {
    await expect(connectAgent({} as never, { port: 8080 })).rejects.toMatchObject({ field: "sandbox" });
  });

  it("an already aborted signal: CanceledError before any forward", async () => {
    const error = await connectAgent(sandbox as never, { port: 8080, signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CanceledError);
  });
});

describe("rewriteUrl", () => {
  it("keeps path and query, takes scheme, host and port from the forward, drops credentials", () => {
    const origin = new URL("http://127.0.0.1:40123");
    expect(rewriteUrl("https://user:pw@agent.example.com:8443/a2a/v1?x=1#f", origin)).toBe(
      "http://127.0.0.1:40123/a2a/v1?x=1",
    );
    expect(rewriteUrl("http://localhost:8080", origin)).toBe("http://127.0.0.1:40123/");
    expect(rewriteUrl("http://0.0.0.0:9999/", origin)).toBe("http://127.0.0.1:40123/");
  });
});
