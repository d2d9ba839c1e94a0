import type { Message, Task } from "@a2a-js/sdk";
import { InvalidArgumentError, ProtocolError, TimeoutError, UnavailableError } from "openshell";
import { z } from "zod";
import type {
  AdapterCallOptions,
  DeploymentAdapter,
  DeploymentStatus,
  LogsRequest,
} from "../adapter/deployment-adapter.js";
import { desiredFingerprint, type FingerprintInput } from "../fingerprint.js";
import {
  type AdapterApplyResult,
  type AdapterRemoveResult,
  adapterApplyResultSchema,
  adapterRemoveResultSchema,
  type DiscoveredTarget,
  discoveredTargetSchema,
  type LogLine,
  logLineSchema,
} from "../resources/adapter-contract.js";
import { conditionSchema } from "../resources/condition.js";
import { beginCall, type Call } from "./call-scope.js";
import { ndjsonLines } from "./ndjson-reader.js";
import { NDJSON_CONTENT_TYPE } from "./ndjson-response.js";
import { validateServiceToken } from "./service-token.js";
import { errorFromWire, isErrorLine } from "./wire-errors.js";
import { messageToWire, replyFromWire } from "./wire-message.js";

/** Options of {@link connectAdapterService}. */
export interface AdapterServiceClientOptions {
  /** The service's bearer token. */
  token: string;
  /** Cancels the connection's first request (`GET /v1/type`). */
  signal?: AbortSignal;
  /** A logs or watch stream that receives nothing, not even a heartbeat, this long fails (default 60000). */
  idleTimeoutMs?: number;
}

/**
 * A {@link DeploymentAdapter} whose calls go to an adapter service (`serveAdapter`) over HTTP. Every
 * answer is validated. Close it (or `await using`) to cancel what is in flight.
 */
export interface AdapterServiceClient extends DeploymentAdapter, AsyncDisposable {
  /** The service's base URL. */
  readonly url: string;
  /**
   * The service's own fingerprint of `input` (`POST /v1/fingerprint`). `desiredFingerprint`, which
   * must answer synchronously, computes it in this process with this package's `desiredFingerprint`,
   * the function the OpenShell adapter uses; ask the service when it may run another version.
   */
  fingerprint(input: unknown, options?: AdapterCallOptions): Promise<string>;
  /** Cancels every call and stream in flight (they reject with CanceledError); later calls fail too. */
  close(): Promise<void>;
}

const typeAnswerSchema = z.object({ type: z.string(), supportedTargetKinds: z.array(z.string()) });
const discoverAnswerSchema = z.object({ targets: z.array(discoveredTargetSchema) });
const fingerprintAnswerSchema = z.object({ fingerprint: z.string().min(1) });
const deploymentStatusSchema = z.object({
  conditions: z.array(conditionSchema),
  runtimeMetadata: z.record(z.string(), z.string()),
});

function parseUrl(url: unknown): string {
  const parsed = typeof url === "string" && URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new InvalidArgumentError(
      "invalid url: must be the http:// base URL serveAdapter reported (service.url)",
      { field: "url" },
    );
  }
  return parsed.href.replace(/\/+$/, "");
}

/**
 * Connects to an adapter service started by `serveAdapter` and returns a DeploymentAdapter that
 * drives it. Checks the URL and the token at once with `GET /v1/type`.
 *
 * @throws UnauthenticatedError when the service refuses the token; UnavailableError when nothing
 * answers at `url`; InvalidArgumentError naming `url` or `token`.
 */
export async function connectAdapterService(
  url: string,
  options: AdapterServiceClientOptions,
): Promise<AdapterServiceClient> {
  const base = parseUrl(url);
  const { token: rawToken, signal, idleTimeoutMs = 60_000 } = options ?? {};
  const token = validateServiceToken(rawToken);
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 1) {
    throw new InvalidArgumentError("invalid idleTimeoutMs: must be a positive whole number of milliseconds", {
      field: "idleTimeoutMs",
    });
  }
  const client = new HttpAdapterClient(base, token, idleTimeoutMs);
  const answer = await client.send("GET", "/v1/type", undefined, typeAnswerSchema, signal);
  client.identity = answer;
  return client;
}

class HttpAdapterClient implements AdapterServiceClient {
  identity: z.output<typeof typeAnswerSchema> = { type: "", supportedTargetKinds: [] };
  private readonly calls = new Set<AbortController>();
  private closed = false;
  // A #private field: util.inspect and console.log of the client do not show it.
  readonly #token: string;

  constructor(
    readonly url: string,
    token: string,
    private readonly idleTimeoutMs: number,
  ) {
    this.#token = token;
  }

  type(): string {
    return this.identity.type;
  }

  supportedTargetKinds(): string[] {
    return [...this.identity.supportedTargetKinds];
  }

  apply(input: unknown, options: AdapterCallOptions = {}): Promise<AdapterApplyResult> {
    return this.send("POST", "/v1/apply", input, adapterApplyResultSchema, options.signal);
  }

  remove(input: unknown, options: AdapterCallOptions = {}): Promise<AdapterRemoveResult> {
    return this.send("POST", "/v1/remove", input, adapterRemoveResultSchema, options.signal);
  }

  async discover(input: unknown, options: AdapterCallOptions = {}): Promise<DiscoveredTarget[]> {
    return (await this.send("POST", "/v1/discover", input, discoverAnswerSchema, options.signal)).targets;
  }

  desiredFingerprint(input: unknown): string {
    return desiredFingerprint(input as FingerprintInput);
  }

  async fingerprint(input: unknown, options: AdapterCallOptions = {}): Promise<string> {
    return (await this.send("POST", "/v1/fingerprint", input, fingerprintAnswerSchema, options.signal))
      .fingerprint;
  }

  async invoke(
    deployment: unknown,
    message: string | Message,
    options: AdapterCallOptions = {},
  ): Promise<Message | Task> {
    const body = { deployment, message: messageToWire(message) };
    return replyFromWire(await this.send("POST", "/v1/invoke", body, z.unknown(), options.signal));
  }

  logs(request: LogsRequest): AsyncIterable<LogLine> {
    const { deployment, follow, tailLines, signal } = request;
    return this.stream("/v1/logs", { deployment, follow, tailLines }, logLineSchema, signal);
  }

  watch(deployment: unknown, options: AdapterCallOptions = {}): AsyncIterable<DeploymentStatus> {
    return this.stream("/v1/watch", { deployment }, deploymentStatusSchema, options.signal);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.calls) controller.abort(new Error("closed"));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A unary call: its JSON answer, validated, or the OpenShellError the service answered. */
  async send<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    schema: S,
    signal: AbortSignal | undefined,
  ): Promise<z.output<S>> {
    const call = this.begin(signal);
    try {
      const response = await this.fetch(method, path, body, call);
      const value = await readJson(response, path);
      if (!response.ok) throw errorFromWire(response.status, value, path);
      return validated(schema, value, path);
    } catch (err) {
      throw call.canceled(path) ?? err;
    } finally {
      call.end();
    }
  }

  /** A streaming call. The caller's signal ends it quietly; close() ends it with CanceledError. */
  private async *stream<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<z.output<S>> {
    const call = this.begin(signal);
    try {
      const response = await this.fetch("POST", path, body, call);
      if (!response.ok) throw errorFromWire(response.status, await readJson(response, path), path);
      const type = response.headers.get("content-type") ?? "";
      if (!type.startsWith(NDJSON_CONTENT_TYPE) || response.body === null) {
        throw new ProtocolError(`${path}: the adapter service answered ${type || "no body"}, not NDJSON`);
      }
      for await (const line of ndjsonLines(response.body, this.idleTimeoutMs, (err) => call.abort(err))) {
        const value = parseLine(line, path);
        if (isErrorLine(value)) throw errorFromWire(200, value, path);
        yield validated(schema, value, path);
      }
    } catch (err) {
      if (signal?.aborted) return;
      if (call.signal.reason instanceof TimeoutError) throw call.signal.reason;
      throw call.canceled(path) ?? err;
    } finally {
      call.end();
    }
  }

  private async fetch(method: string, path: string, body: unknown, call: Call): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: call.signal,
      });
    } catch (err) {
      throw (
        call.canceled(path) ??
        new UnavailableError(
          `${path}: no adapter service answers at ${this.url}; check that it runs (serveAdapter) and its URL`,
          { cause: err },
        )
      );
    }
  }

  private begin(signal: AbortSignal | undefined): Call {
    return beginCall(signal, this.calls, () => this.closed);
  }
}

async function readJson(response: Response, path: string): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(
      `${path}: the adapter service answered HTTP ${response.status} with a body that is not JSON; check that the URL is an adapter service (serveAdapter)`,
    );
  }
}

function parseLine(line: string, path: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new ProtocolError(`${path}: the adapter service sent a stream line that is not JSON`);
  }
}

function validated<S extends z.ZodType>(schema: S, value: unknown, path: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.map(String).join(".") || "the answer";
  throw new ProtocolError(
    `${path}: the adapter service's answer does not fit the contract (${where}: ${issue?.message ?? "invalid"}); check that client and service are the same version`,
  );
}
