import http from "node:http";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InferenceLogLine } from "../../../../src/local/inference/inference-forwarder.js";
import { callProxy, FakeProvider, ProxyStandIn, type SandboxAnswer } from "./inference-harness.js";

const KEY = "sk-test-SECRET-0123456789abcdef";
const ANTHROPIC_KEY = "sk-ant-SECRET-fedcba9876543210";
const chat = JSON.stringify({
  model: "whatever-the-agent-says",
  messages: [{ role: "user", content: "hi" }],
});

/** Every log line of every test, checked once more at the end. */
const allLines: InferenceLogLine[] = [];

function expectNoCredential(answer: SandboxAnswer): void {
  for (const key of [KEY, ANTHROPIC_KEY]) {
    expect(answer.body).not.toContain(key);
    expect(JSON.stringify(answer.headers)).not.toContain(key);
  }
}

function expectCleanLines(lines: InferenceLogLine[]): void {
  for (const line of lines) {
    expect(line.message).not.toContain(KEY);
    expect(line.message).not.toContain(ANTHROPIC_KEY);
    expect(line.message).not.toMatch(/authorization|x-api-key|cookie/i);
    expect(line.sandboxId).toBe("sb-1");
  }
}

describe("inference.local forwarder", () => {
  let provider: FakeProvider;
  let proxy: ProxyStandIn;

  beforeEach(async () => {
    provider = await new FakeProvider().start();
    proxy = await new ProxyStandIn().start();
    proxy.state.providers.main = {
      type: "openai",
      credentials: { OPENAI_API_KEY: KEY },
      config: { OPENAI_BASE_URL: provider.baseUrl },
    };
    proxy.state.route = { providerName: "main", modelId: "gpt-route", timeoutSecs: 60n };
  });

  afterEach(async () => {
    expectCleanLines(proxy.lines);
    allLines.push(...proxy.lines);
    await proxy.stop();
    await provider.stop();
  });

  afterAll(() => {
    expect(allLines.length).toBeGreaterThan(10);
    expectCleanLines(allLines);
  });

  it("adds the provider's credential, rewrites the model and keeps the credential from the sandbox", async () => {
    const answer = await callProxy(proxy.port, {
      path: "/v1/chat/completions?stream=false",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sandbox-own-token",
        "x-api-key": "sandbox-own-key",
        cookie: "session=sandbox",
        "proxy-authorization": "Basic c2FuZGJveA==",
        "x-request-id": "req-7",
      },
      body: chat,
    });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ id: "chatcmpl-1", choices: [{ message: { content: "hi" } }] });
    expectNoCredential(answer);
    expect(answer.headers.authorization).toBeUndefined();

    const [seen] = provider.requests;
    expect(seen?.method).toBe("POST");
    expect(seen?.url).toBe("/v1/chat/completions?stream=false");
    expect(seen?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(seen?.headers["x-api-key"]).toBeUndefined();
    expect(seen?.headers.cookie).toBeUndefined();
    expect(seen?.headers["proxy-authorization"]).toBeUndefined();
    expect(seen?.headers["x-request-id"]).toBe("req-7");
    expect(seen?.headers.host).toBe(`127.0.0.1:${provider.port}`);
    expect(JSON.parse(seen?.body ?? "")).toEqual({
      model: "gpt-route",
      messages: [{ role: "user", content: "hi" }],
    });

    const [line] = await proxy.linesAtLeast(1);
    expect(line?.level).toBe("INFO");
    expect(line?.message).toMatch(
      /^inference\.local POST \/v1\/chat\/completions -> provider "main" \(openai\) model "gpt-route" \(asked for "whatever-the-agent-says"\): 200 in \d+ ms$/,
    );
  });

  it("accepts paths without the version and absolute-form proxy targets", async () => {
    await callProxy(proxy.port, { path: "/chat/completions", body: chat });
    await callProxy(proxy.port, { path: "http://inference.local/v1/embeddings", body: "{}" });
    expect(provider.requests.map((r) => r.url)).toEqual(["/v1/chat/completions", "/v1/embeddings"]);
  });

  it("passes bodies without a model, and non-JSON bodies, through byte for byte", async () => {
    const noModel = '{ "input" : "x",  "n": 1.0 }';
    await callProxy(proxy.port, {
      path: "/v1/moderations",
      headers: { "content-type": "application/json" },
      body: noModel,
    });
    await callProxy(proxy.port, {
      path: "/v1/audio/transcriptions",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: '{"model":"not-json-really"}',
    });
    await callProxy(proxy.port, { method: "GET", path: "/v1/models" });
    expect(provider.requests.map((r) => r.body)).toEqual([noModel, '{"model":"not-json-really"}', ""]);
  });

  it("calls an anthropic provider with x-api-key and anthropic-version, the sandbox's version winning", async () => {
    proxy.state.providers.claude = {
      type: "anthropic",
      credentials: { ANTHROPIC_API_KEY: ANTHROPIC_KEY },
      config: { ANTHROPIC_BASE_URL: provider.baseUrl },
    };
    proxy.state.route = { providerName: "claude", modelId: "claude-route", timeoutSecs: 60n };

    const first = await callProxy(proxy.port, {
      path: "/v1/messages",
      headers: { "x-api-key": "sandbox-key", authorization: "Bearer sandbox" },
      body: chat,
    });
    await callProxy(proxy.port, {
      path: "/v1/messages",
      headers: { "anthropic-version": "2099-01-01" },
      body: chat,
    });

    expectNoCredential(first);
    const [a, b] = provider.requests;
    expect(a?.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
    expect(a?.headers.authorization).toBeUndefined();
    expect(a?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(JSON.parse(a?.body ?? "").model).toBe("claude-route");
    expect(b?.headers["anthropic-version"]).toBe("2099-01-01");
  });

  it("drops response headers that echo the credential and masks it in the body", async () => {
    provider.respond = (_req, res, seen) => {
      const auth = String(seen.headers.authorization);
      const body = JSON.stringify({ error: { message: `bad key ${KEY}`, echo: auth } });
      res.writeHead(401, {
        "content-type": "application/json",
        "x-echo-auth": auth,
        "set-cookie": "provider-session=1",
        "x-ratelimit-remaining": "99",
      });
      // Split inside the key: the masking must hold across chunks.
      const cut = body.indexOf(KEY) + 5;
      res.write(body.slice(0, cut));
      setTimeout(() => res.end(body.slice(cut)), 20);
    };

    const answer = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat });

    expect(answer.status).toBe(401);
    expectNoCredential(answer);
    expect(answer.headers["x-echo-auth"]).toBeUndefined();
    expect(answer.headers["set-cookie"]).toBeUndefined();
    expect(answer.headers["x-ratelimit-remaining"]).toBe("99");
    const masked = "*".repeat(KEY.length);
    expect(JSON.parse(answer.body)).toEqual({
      error: { message: `bad key ${masked}`, echo: `Bearer ${masked}` },
    });
    const [line] = await proxy.linesAtLeast(1);
    expect(line?.level).toBe("WARN");
    expect(line?.message).toMatch(/: 401 in \d+ ms$/);
  });

  it("streams server-sent events chunk by chunk", async () => {
    const order: string[] = [];
    let clientGotFirst: () => void = () => {};
    const firstArrived = new Promise<void>((resolve) => {
      clientGotFirst = resolve;
    });
    provider.respond = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write('data: {"delta":"Hel"}\n\n');
      order.push("provider sent first");
      // The last chunk waits for the sandbox to have the first: a buffering forwarder never finishes.
      void firstArrived.then(() => {
        order.push("provider sends last");
        res.write('data: {"delta":"lo"}\n\n');
        res.end("data: [DONE]\n\n");
      });
    };

    // A forwarder that buffers holds the first chunk until the stream ends, which never happens.
    const stalled = setTimeout(() => clientGotFirst(), 2000);
    const events = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: proxy.port, method: "POST", path: "/v1/chat/completions", agent: false },
        (res) => {
          expect(res.headers["content-type"]).toBe("text/event-stream");
          let text = "";
          res.on("data", (chunk: Buffer) => {
            if (text === "") {
              order.push("sandbox got first");
              clientGotFirst();
            }
            text += chunk.toString("utf8");
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ model: "x", stream: true }));
    });

    clearTimeout(stalled);
    expect(order).toEqual(["provider sent first", "sandbox got first", "provider sends last"]);
    expect(events).toBe('data: {"delta":"Hel"}\n\ndata: {"delta":"lo"}\n\ndata: [DONE]\n\n');
  });

  it("answers 504 when the provider does not answer within the route's timeout, and cancels the call", async () => {
    proxy.state.route = { providerName: "main", modelId: "gpt-route", timeoutSecs: 0.3 };
    provider.respond = () => {
      // Never answers.
    };

    const answer = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat });

    expect(answer.status).toBe(504);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(answer.body).error.message).toMatch(
      /^provider "main" \(openai\) model "gpt-route" .* did not answer within 0\.3 s; raise the route's timeout_secs/,
    );
    await provider.requests[0]?.closed;
    const [line] = await proxy.linesAtLeast(1);
    expect(line?.level).toBe("WARN");
    expect(line?.message).toMatch(/-> 504 /);
  });

  it("cuts a stream that goes silent for longer than the timeout", async () => {
    proxy.state.route = { providerName: "main", modelId: "gpt-route", timeoutSecs: 0.3 };
    provider.respond = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: 1\n\n");
    };

    const failure = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat }).then(
      () => "ended normally",
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );

    expect(failure).not.toBe("ended normally");
    await provider.requests[0]?.closed;
    const [line] = await proxy.linesAtLeast(1);
    expect(line?.message).toMatch(/went silent for 0\.3 s mid-answer; cut off/);
  });

  it("cancels the provider call when the sandbox goes away", async () => {
    provider.respond = () => {
      // Holds the call open until the gateway gives up on it.
    };
    const req = http.request({
      host: "127.0.0.1",
      port: proxy.port,
      method: "POST",
      path: "/v1/chat/completions",
      agent: false,
    });
    req.on("error", () => {});
    req.end(chat);
    for (let i = 0; i < 200 && provider.requests.length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    req.destroy();

    await provider.requests[0]?.closed;
    const [line] = await proxy.linesAtLeast(1);
    expect(line).toMatchObject({ level: "INFO" });
    expect(line?.message).toMatch(
      /the sandbox closed the connection; the call to provider "main" .* was canceled/,
    );
  });

  it("answers 503 with what to do when the workspace has no route", async () => {
    proxy.state.route = undefined;

    const answer = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat });

    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        message:
          'no inference route "inference.local" in workspace "default"; set one with SetInferenceRoute (os.inference.setRoute in the SDK)',
      },
    });
    expect(provider.requests).toHaveLength(0);
  });

  it("answers 503 when the route names a provider that does not exist", async () => {
    proxy.state.route = { providerName: "gone", modelId: "m", timeoutSecs: 0n };

    const answer = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat });

    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body).error.message).toBe(
      'the inference route names provider "gone", which does not exist in workspace "default"; create it (providers.create) or point the route at another provider',
    );
  });

  it("refuses a Bedrock provider, saying why", async () => {
    proxy.state.providers.bedrock = {
      type: "aws-bedrock",
      credentials: { AWS_SECRET_ACCESS_KEY: KEY },
      config: {},
    };
    proxy.state.route = { providerName: "bedrock", modelId: "anthropic.claude", timeoutSecs: 0n };

    const answer = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat });

    expect(answer.status).toBe(503);
    expectNoCredential(answer);
    expect(JSON.parse(answer.body).error.message).toMatch(
      /^provider "bedrock": provider type "aws-bedrock" cannot be used for inference\.local in local mode: .*SigV4.*; route to a provider of type openai, anthropic, nvidia, deepinfra$/,
    );
    expect(provider.requests).toHaveLength(0);
  });

  it("refuses a provider without a key, naming the credential to set", async () => {
    proxy.state.providers.main = { type: "nvidia", credentials: {}, config: {} };

    const answer = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat });

    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body).error.message).toBe(
      'provider "main": this nvidia provider has no API key; set the credential NVIDIA_API_KEY (providers.update)',
    );
  });

  it("answers 502 when the provider cannot be reached", async () => {
    await provider.stop();

    const answer = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat });

    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body).error.message).toMatch(
      new RegExp(`^could not reach provider "main" .* at 127\\.0\\.0\\.1:${provider.port}: ECONNREFUSED$`),
    );
    provider = await new FakeProvider().start();
  });

  it("answers 413 to a body over the limit, declared or not", async () => {
    await proxy.stop();
    const small = await new ProxyStandIn({ maxBodyBytes: 1024 }).start();
    Object.assign(small.state, proxy.state);
    proxy = small;
    const big = JSON.stringify({ model: "m", prompt: "x".repeat(4096) });

    const declared = await callProxy(proxy.port, { path: "/v1/completions", body: big });
    const chunked = await callProxy(proxy.port, {
      path: "/v1/completions",
      headers: { "transfer-encoding": "chunked" },
      body: big,
    });

    for (const answer of [declared, chunked]) {
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body).error.message).toMatch(/larger than 1024 bytes/);
    }
    expect(provider.requests).toHaveLength(0);
  });
});

describe("inference.local forwarder defaults", () => {
  it("uses fetchTimeoutMs when the route has no timeout", async () => {
    const provider = await new FakeProvider().start();
    const proxy = await new ProxyStandIn({ fetchTimeoutMs: 200 }).start();
    provider.respond = () => {};
    proxy.state.providers.main = {
      type: "deepinfra",
      credentials: { DEEPINFRA_API_KEY: KEY },
      config: { DEEPINFRA_BASE_URL: `http://127.0.0.1:${provider.port}/v1/openai` },
    };
    proxy.state.route = { providerName: "main", modelId: "m", timeoutSecs: 0n };
    try {
      const answer = await callProxy(proxy.port, { path: "/v1/chat/completions", body: chat });
      expect(answer.status).toBe(504);
      expect(provider.requests[0]?.url).toBe("/v1/openai/chat/completions");
      expect(provider.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
      expectCleanLines(await proxy.linesAtLeast(1));
    } finally {
      await proxy.stop();
      await provider.stop();
    }
  });
});
