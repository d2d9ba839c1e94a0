import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createInferenceHandler,
  type InferenceClient,
  type InferenceHandlerDeps,
  type InferenceLogLine,
  type InferenceRouteTarget,
} from "../../../../src/local/inference/inference-forwarder.js";
import type { StoredProvider } from "../../../../src/local/inference/provider-endpoint.js";

/** A request as the fake provider saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Resolves when the gateway closed the request (cancellation reaches the provider). */
  closed: Promise<void>;
}

type Respond = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** An HTTP server on 127.0.0.1 playing an inference provider; it records every request. */
export class FakeProvider {
  readonly requests: SeenRequest[] = [];
  respond: Respond = (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "chatcmpl-1", choices: [{ message: { content: "hi" } }] }));
  };
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => res.once("close", () => resolve()));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const seen: SeenRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        closed,
      };
      this.requests.push(seen);
      this.respond(req, res, seen);
    });
  });
  port = 0;

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  stop(): Promise<void> {
    return close(this.server);
  }
}

/** What a test configures: the workspace's route and providers, as the store would answer. */
export interface GatewayState {
  route?: InferenceRouteTarget;
  providers: Record<string, StoredProvider>;
}

/**
 * A plain HTTP server on 127.0.0.1 standing in for the egress proxy: every request goes to the
 * inference handler as if it came from sandbox `sb-1` of workspace `default`.
 */
export class ProxyStandIn {
  readonly lines: InferenceLogLine[] = [];
  readonly state: GatewayState = { providers: {} };
  readonly client: InferenceClient = { sandboxId: "sb-1", sandboxName: "agent" };
  private readonly server: http.Server;
  port = 0;

  constructor(options: Pick<InferenceHandlerDeps, "fetchTimeoutMs" | "maxBodyBytes"> = {}) {
    const handler = createInferenceHandler({
      ...options,
      route: (workspace) => (workspace === "default" ? this.state.route : undefined),
      provider: (workspace, name) => (workspace === "default" ? this.state.providers[name] : undefined),
      onEvent: (line) => this.lines.push(line),
    });
    this.server = http.createServer((req, res) => handler.handle(req, res, this.client));
  }

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  /** Resolves once `count` log lines arrived (a line is written when a call ends, after the answer). */
  async linesAtLeast(count: number): Promise<InferenceLogLine[]> {
    for (let i = 0; i < 200 && this.lines.length < count; i++) await new Promise((r) => setTimeout(r, 10));
    return this.lines;
  }
}

/** A response as the sandbox saw it. */
export interface SandboxAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SandboxCall {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** The sandbox calling `http://inference.local` through the proxy stand-in. */
export function callProxy(port: number, call: SandboxCall): Promise<SandboxAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: call.method ?? "POST",
        path: call.path,
        headers: { host: "inference.local", ...call.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(call.body);
  });
}
