import type { AgentCard, Message, StreamResponse, Task } from "@a2a-js/sdk";
import {
  type Client,
  ClientFactory,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from "@a2a-js/sdk/client";
import { CanceledError, FailedPreconditionError, InvalidArgumentError } from "openshell";
import { type CardRequest, fetchAgentCard } from "./agent-card.js";
import { toCallError } from "./call-errors.js";
import { forwardFetch } from "./forward-fetch.js";
import { type AgentOperation, ProtocolClients } from "./protocol-clients.js";
import { textMessage } from "./text-message.js";

/** Options of one call on an {@link AgentConnection}. */
export interface AgentCallOptions {
  /** Cancels the call (it then rejects with `CanceledError`); the connection stays open. */
  signal?: AbortSignal;
}

/**
 * An A2A client of one agent, reached through a port forward: every request goes to the forward,
 * whatever address the agent's card names. Close it (or `await using`) to close the forward.
 */
export interface AgentConnection extends AsyncDisposable {
  /** The agent's card, as the agent serves it (a 0.3 card translated to the current shape). */
  readonly card: AgentCard;
  /** The forward's `http://127.0.0.1:<port>`, where the agent is reached from this process. */
  readonly url: string;
  /**
   * The A2A protocol version in use: `"1.0"` (method names `SendMessage`, ...) or `"0.3"`
   * (`message/send`, ...). Starts as the card declares and may change once, at the first call, if the
   * agent answers only the other version's method names.
   */
  readonly protocolVersion: string;
  /** Sends a message (a string is one text part) and waits for the reply: a `Message`, or a `Task` once it completes, fails or needs input. */
  send(message: string | Message, options?: AgentCallOptions): Promise<Message | Task>;
  /** Sends a message and yields the agent's events as they come (task, status and artifact updates, messages). */
  stream(message: string | Message, options?: AgentCallOptions): AsyncIterable<StreamResponse>;
  /** The task's current state, artifacts and history. */
  getTask(id: string, options?: AgentCallOptions & { historyLength?: number }): Promise<Task>;
  /** Asks the agent to cancel the task; resolves to the task as the agent then reports it. */
  cancelTask(id: string, options?: AgentCallOptions): Promise<Task>;
  /** Closes the forward; calls in flight end with `CanceledError`. Safe to call more than once. */
  close(): Promise<void>;
}

/** @internal Where an agent is reached: an open forward, and the words that name it in errors. */
export interface AgentTarget extends CardRequest {
  /** Closes what carries the connection (the forward). */
  close(): Promise<void>;
}

/** @internal Reads the card through `target` and builds the SDK client on it. */
export async function openAgentConnection(target: AgentTarget): Promise<AgentConnection> {
  const fetchImpl = forwardFetch(target.baseUrl);
  const legacyCompat = { enabled: true };
  const factory = new ClientFactory({
    // JSON-RPC only, and never the SDK's default transports: those would use the global fetch and
    // reach for the card's own address instead of the forward.
    transports: [new JsonRpcTransportFactory({ fetchImpl, legacyCompat })],
    cardResolver: new DefaultAgentCardResolver({ fetchImpl, legacyCompat }),
    preferredTransports: ["JSONRPC"],
  });
  const card = await fetchAgentCard(fetchImpl, target);
  const primary = await factory.createFromAgentCard(card);
  return new ForwardedAgent(target, card, new ProtocolClients(factory, card, primary));
}

class ForwardedAgent implements AgentConnection {
  readonly #target: AgentTarget;
  readonly #clients: ProtocolClients;
  readonly #closer = new AbortController();
  readonly #signal: AbortSignal;
  #closing: Promise<void> | undefined;

  constructor(
    target: AgentTarget,
    readonly card: AgentCard,
    clients: ProtocolClients,
  ) {
    this.#target = target;
    this.#clients = clients;
    this.#signal = AbortSignal.any([target.signal, this.#closer.signal]);
    // The caller's signal closes the connection, as it closes the forward under it.
    target.signal.addEventListener("abort", () => void this.close(), {
      once: true,
      signal: this.#closer.signal,
    });
  }

  get url(): string {
    return this.#target.baseUrl;
  }

  get protocolVersion(): string {
    return this.#clients.protocolVersion;
  }

  async send(message: string | Message, options?: AgentCallOptions): Promise<Message | Task> {
    const request = {
      tenant: "",
      message: toMessage(message),
      configuration: undefined,
      metadata: undefined,
    };
    return await this.#call("send", options, (client, signal) => client.sendMessage(request, { signal }));
  }

  stream(message: string | Message, options?: AgentCallOptions): AsyncIterable<StreamResponse> {
    const request = {
      tenant: "",
      message: toMessage(message),
      configuration: undefined,
      metadata: undefined,
    };
    this.#assertOpen("stream");
    const signal = this.#callSignal(options);
    const events = this.#clients.stream("stream", (client) => client.sendMessageStream(request, { signal }));
    const context = {
      operation: "stream" as const,
      where: this.#target.where,
      port: this.#target.port,
      signal,
    };
    return (async function* () {
      try {
        yield* events;
      } catch (err) {
        throw toCallError(err, context);
      }
    })();
  }

  async getTask(id: string, options?: AgentCallOptions & { historyLength?: number }): Promise<Task> {
    const request = { tenant: "", id: taskId(id), historyLength: options?.historyLength };
    return await this.#call("getTask", options, (client, signal) => client.getTask(request, { signal }));
  }

  async cancelTask(id: string, options?: AgentCallOptions): Promise<Task> {
    const request = { tenant: "", id: taskId(id), metadata: undefined };
    return await this.#call("cancelTask", options, (client, signal) =>
      client.cancelTask(request, { signal }),
    );
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closer.abort();
      await this.#target.close();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #call<T>(
    operation: AgentOperation,
    options: AgentCallOptions | undefined,
    call: (client: Client, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    this.#assertOpen(operation);
    const signal = this.#callSignal(options);
    try {
      return await this.#clients.call(operation, (client) => call(client, signal));
    } catch (err) {
      throw toCallError(err, { operation, where: this.#target.where, port: this.#target.port, signal });
    }
  }

  #callSignal(options: AgentCallOptions | undefined): AbortSignal {
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidArgumentError("options.signal must be an AbortSignal", { field: "signal" });
    }
    if (signal?.aborted) throw new CanceledError("canceled by the caller's AbortSignal before it started");
    // A fresh signal per call, even without the caller's: fetch attaches a listener to the signal of
    // every request and drops it only when the request is collected, so the connection's own
    // long-lived signal handed to every call would gather one per call (and Node warns of a leak).
    return AbortSignal.any(signal ? [this.#signal, signal] : [this.#signal]);
  }

  #assertOpen(operation: string): void {
    if (this.#closer.signal.aborted) {
      throw new FailedPreconditionError(
        `${operation}: the connection to the A2A agent on ${this.#target.where} is closed. Call connectAgent() again.`,
      );
    }
  }
}

function toMessage(message: string | Message): Message {
  if (typeof message === "string") return textMessage(message);
  if (
    message === null ||
    typeof message !== "object" ||
    !Array.isArray((message as Partial<Message>).parts)
  ) {
    throw new InvalidArgumentError(
      "message must be a string or an A2A Message with parts (see textMessage())",
      {
        field: "message",
      },
    );
  }
  return message;
}

function taskId(id: string): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new InvalidArgumentError("id must be a task's id, a non-empty string", { field: "id" });
  }
  return id;
}
