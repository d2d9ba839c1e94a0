import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import { performance } from "node:perf_hooks";
import { pipeline } from "node:stream";
import { defaultRouteName } from "../protocol/inference-routes.js";
import { workspaceOf } from "../protocol/validation.js";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "./forwarded-headers.js";
import {
  BodyTooLargeError,
  defaultMaxBodyBytes,
  readRequestBody,
  withRouteModel,
} from "./inference-request-body.js";
import {
  InferenceEndpointError,
  type ProviderEndpoint,
  providerEndpoint,
  type StoredProvider,
} from "./provider-endpoint.js";
import { redactText, SecretMaskingStream, secretsOf } from "./secret-redaction.js";
import { upstreamUrl } from "./upstream-url.js";

/** What the forwarder needs of the workspace's `inference.local` route (a stored route fits). */
export interface InferenceRouteTarget {
  providerName: string;
  modelId: string;
  /** Seconds; 0 means the handler's default. */
  timeoutSecs: bigint | number;
}

/** The sandbox a request came from, as the egress proxy identified it. */
export interface InferenceClient {
  sandboxId: string;
  sandboxName: string;
  /** Empty or absent = `default`. */
  workspace?: string;
}

/** A gateway log line about one forwarded call: never headers or bodies, never a credential. */
export interface InferenceLogLine {
  sandboxId: string;
  level: "INFO" | "WARN" | "ERROR";
  message: string;
}

export interface InferenceHandlerDeps {
  /** The workspace's `inference.local` route (workspace already defaulted). */
  route(workspace: string): InferenceRouteTarget | undefined;
  /** A provider of the workspace by name, credentials included. */
  provider(workspace: string, name: string): StoredProvider | undefined;
  /** Receives one line per call (and per failure), for the sandbox's gateway log. */
  onEvent?(line: InferenceLogLine): void;
  /** How long to wait for the provider when the route's `timeout_secs` is 0. Default 60 000. */
  fetchTimeoutMs?: number;
  /** The largest request body forwarded; larger ones get 413. Default 16 MiB. */
  maxBodyBytes?: number;
}

/** Serves requests the egress proxy received for host `inference.local`. */
export interface InferenceHandler {
  handle(req: IncomingMessage, res: ServerResponse, client: InferenceClient): void;
}

const defaultTimeoutMs = 60_000;

/**
 * The gateway side of `inference.local`: each request goes to the provider the workspace's route
 * names, with the route's model and the provider's credential, and the answer streams back.
 *
 * The credential never reaches the sandbox: the sandbox's own `authorization` / `x-api-key` /
 * `cookie` are dropped and the provider's set; response headers whose value contains a credential
 * are dropped; credential values in the response body are masked with `*`; error answers and log
 * lines are redacted as well, and name keys, never values.
 *
 * Status codes of the gateway's own answers (JSON `{"error":{"message"}}`): 503 when the workspace
 * has no route or the route's provider is missing or cannot be used (fix the configuration, then
 * retry), 413 for an oversized body, 502 when the provider cannot be reached, 504 when it does not
 * answer within the route's timeout, 500 for a fault inside the gateway.
 *
 * The timeout bounds the wait for the provider's response headers and then every silence between
 * body chunks: a long stream that keeps coming is never cut, a stalled one is (the sandbox then
 * sees the connection end, as the status line has gone already). A sandbox that goes away cancels
 * the provider call.
 */
export function createInferenceHandler(deps: InferenceHandlerDeps): InferenceHandler {
  return {
    handle(req, res, client) {
      new InferenceExchange(deps, req, res, client).serve();
    },
  };
}

function emit(deps: InferenceHandlerDeps, line: InferenceLogLine): void {
  try {
    deps.onEvent?.(line);
  } catch {
    // A log sink's failure must not take the sandbox's call down with it.
  }
}

/** The gateway's own error answer, in the error shape OpenAI and Anthropic clients read. */
function sendError(res: ServerResponse, status: number, message: string, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message } });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...(close ? { connection: "close" } : {}),
  });
  res.end(body);
}

/** The path of a request target (origin- or absolute-form), undefined when it does not parse. */
function requestPath(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? "/", "http://inference.local").pathname;
  } catch {
    return undefined;
  }
}

/** One sandbox request on its way to the provider and back. */
class InferenceExchange {
  private readonly started = performance.now();
  private readonly workspace: string;
  private readonly summary: string;
  private secrets: string[] = [];
  /** Set once the outcome is answered and logged: later events of the same call are echoes. */
  private settled = false;

  constructor(
    private readonly deps: InferenceHandlerDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly client: InferenceClient,
  ) {
    this.workspace = workspaceOf(client.workspace ?? "");
    // The path, not the query: a query is the sandbox's to fill and may carry anything.
    this.summary = `inference.local ${req.method ?? "GET"} ${requestPath(req.url) ?? "(unparsable target)"}`;
  }

  serve(): void {
    this.run().catch((error: unknown) => {
      // A fault of the gateway's own (a store read failing, a bug): answer rather than hang.
      const detail = error instanceof Error ? error.message : String(error);
      this.fail(500, "inference.local failed inside the gateway; see the gateway log", false, detail);
    });
  }

  private async run(): Promise<void> {
    if (requestPath(this.req.url) === undefined) {
      return this.fail(400, "the request target is not a URL path inference.local can forward");
    }
    const route = this.deps.route(this.workspace);
    if (!route) {
      return this.fail(
        503,
        `no inference route "${defaultRouteName}" in workspace "${this.workspace}"; set one with SetInferenceRoute (os.inference.setRoute in the SDK)`,
      );
    }
    const name = route.providerName;
    const provider = this.deps.provider(this.workspace, name);
    if (!provider) {
      return this.fail(
        503,
        `the inference route names provider "${name}", which does not exist in workspace "${this.workspace}"; create it (providers.create) or point the route at another provider`,
      );
    }
    this.secrets = secretsOf(provider.credentials);
    let endpoint: ProviderEndpoint;
    try {
      endpoint = providerEndpoint(provider);
    } catch (error) {
      if (!(error instanceof InferenceEndpointError)) throw error;
      return this.fail(503, `provider "${name}": ${error.message}`);
    }

    let body: Buffer;
    try {
      body = await readRequestBody(this.req, this.deps.maxBodyBytes ?? defaultMaxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return this.fail(413, error.message, true);
      return this.gone("the sandbox went away while sending its request");
    }
    const routed = withRouteModel(body, this.req.headers["content-type"], route.modelId);
    const asked =
      routed.requestedModel !== undefined && routed.requestedModel !== route.modelId
        ? ` (asked for "${routed.requestedModel}")`
        : "";
    const target = `provider "${name}" (${provider.type}) model "${route.modelId}"${asked}`;
    this.send(endpoint, routed.body, target, this.timeoutMs(route));
  }

  private timeoutMs(route: InferenceRouteTarget): number {
    const secs = Number(route.timeoutSecs);
    return secs > 0 ? secs * 1000 : (this.deps.fetchTimeoutMs ?? defaultTimeoutMs);
  }

  /**
   * node:http rather than fetch (undici): fetch decompresses bodies yet keeps `content-encoding`,
   * forbids or rewrites some headers, and needs a dispatcher for per-call timeouts; a plain request
   * passes status, headers and bytes through as the provider sent them, and `pipeline` streams
   * each chunk on with backpressure and tears both sides down together.
   */
  private send(endpoint: ProviderEndpoint, body: Buffer, target: string, timeoutMs: number): void {
    const url = upstreamUrl(endpoint.baseUrl, this.req.url ?? "/");
    const headers = upstreamRequestHeaders(this.req.headers, endpoint, body.length);
    const transport = url.protocol === "https:" ? https : http;
    const upstream = transport.request(url, { method: this.req.method ?? "GET", headers });
    const seconds = timeoutMs / 1000;

    // One timer, first for the response headers, then for each silence between body chunks.
    let timer = setTimeout(() => {
      upstream.destroy();
      this.fail(
        504,
        `${target} did not answer within ${seconds} s; raise the route's timeout_secs (SetInferenceRoute) or check the provider`,
      );
    }, timeoutMs);

    this.res.once("close", () => {
      if (this.res.writableFinished) return;
      clearTimeout(timer);
      upstream.destroy();
      this.gone(`the sandbox closed the connection; the call to ${target} was canceled`);
    });

    let answered = false;
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      // Once the answer has begun, its own stream reports a failure (see the pipeline below).
      if (answered) return;
      clearTimeout(timer);
      // The code says what happened (ECONNREFUSED, ENOTFOUND, a TLS code); the host says where.
      this.fail(502, `could not reach ${target} at ${url.host}: ${error.code ?? error.message}`);
    });

    upstream.on("response", (answer) => {
      answered = true;
      clearTimeout(timer);
      if (this.settled) {
        answer.destroy();
        return;
      }
      const onSilence = () => {
        answer.destroy();
        this.res.destroy();
        this.finish("WARN", `${target}: the provider went silent for ${seconds} s mid-answer; cut off`);
      };
      timer = setTimeout(onSilence, timeoutMs);
      answer.on("data", () => {
        if (!this.settled) timer.refresh();
      });
      const status = answer.statusCode ?? 502;
      this.res.writeHead(status, downstreamResponseHeaders(answer.headers, this.secrets));
      // The status line goes at once: a streaming client sees the stream open before the first token.
      this.res.flushHeaders();
      pipeline(answer, new SecretMaskingStream(this.secrets), this.res, (error) => {
        clearTimeout(timer);
        if (error) this.finish("WARN", `${target}: ${status}, answer cut off (${error.message})`);
        else this.finish(status < 400 ? "INFO" : "WARN", `${target}: ${status}`);
      });
    });

    upstream.end(body);
  }

  /**
   * Answers with the gateway's own error and logs it: WARN for what configuration or the provider
   * caused, ERROR (with `detail`, which the sandbox does not see) for a fault of the gateway itself.
   */
  private fail(status: number, message: string, close = false, detail?: string): void {
    if (this.settled) return;
    sendError(this.res, status, redactText(message, this.secrets), close);
    if (detail === undefined) this.finish("WARN", `${status} ${message}`);
    else this.finish("ERROR", `${status} ${detail}`);
  }

  /** The sandbox is gone: nothing to answer, only to log. */
  private gone(message: string): void {
    if (this.settled) return;
    this.res.destroy();
    this.finish("INFO", message);
  }

  private finish(level: InferenceLogLine["level"], outcome: string): void {
    if (this.settled) return;
    this.settled = true;
    const ms = Math.round(performance.now() - this.started);
    emit(this.deps, {
      sandboxId: this.client.sandboxId,
      level,
      message: redactText(`${this.summary} -> ${outcome} in ${ms} ms`, this.secrets),
    });
  }
}
