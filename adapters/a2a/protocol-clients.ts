import type { AgentCard, AgentInterface } from "@a2a-js/sdk";
import type { Client, ClientFactory } from "@a2a-js/sdk/client";
import { rpcCodeOf } from "./rpc-code.js";

/** JSON-RPC "method not found": the agent does not know this protocol version's method names. */
const METHOD_NOT_FOUND = -32601;
/** A2A "version not supported": the agent rejects the `A2A-Version` the request announced. */
const VERSION_NOT_SUPPORTED = -32009;

/** The two method names of each call, current (1.0) and 0.3. */
export const METHOD_NAMES = {
  send: ["SendMessage", "message/send"],
  stream: ["SendStreamingMessage", "message/stream"],
  getTask: ["GetTask", "tasks/get"],
  cancelTask: ["CancelTask", "tasks/cancel"],
} as const;

/** One of the calls {@link METHOD_NAMES} lists. */
export type AgentOperation = keyof typeof METHOD_NAMES;

/** True for A2A 0.x versions (and an empty version, which the SDK also reads as 0.3). */
export function isLegacyVersion(version: string): boolean {
  return version.trim() === "" || /^0\./.test(version.trim());
}

/**
 * The SDK client for the protocol version the card declares, and, on demand, one for the other
 * version. Cards and agents disagree in the field: an agent built on a 0.3 SDK behind a card written
 * for 1.0, a 1.0 agent behind a stale 0.3 card. So until the agent has answered one call, a "method
 * not found" (or "version not supported") makes the call once more with the other version's method
 * names; whichever answers is kept for every later call. After the first answer nothing is retried:
 * a "method not found" then is the agent's real answer.
 */
export class ProtocolClients {
  #current: Client;
  #settled = false;
  #other: Promise<Client> | undefined;

  constructor(
    private readonly factory: ClientFactory,
    private readonly card: AgentCard,
    primary: Client,
  ) {
    this.#current = primary;
  }

  /** The protocol version of the client in use: `"1.0"` or `"0.3"`. */
  get protocolVersion(): string {
    return this.#current.protocolVersion;
  }

  /** Runs `call` on the current client, and once on the other version's if the agent did not know the method. */
  async call<T>(operation: AgentOperation, call: (client: Client) => Promise<T>): Promise<T> {
    const client = this.#current;
    try {
      const result = await call(client);
      this.#settle(client);
      return result;
    } catch (err) {
      if (!this.#mayFallBack(err)) throw err;
      const other = await this.#otherClient();
      try {
        const result = await call(other);
        this.#settle(other);
        return result;
      } catch (second) {
        throw this.#bothFailed(operation, err, second);
      }
    }
  }

  /** As {@link call} for a stream: the fallback is decided at the first event, never after one was seen. */
  async *stream<T>(operation: AgentOperation, open: (client: Client) => AsyncIterable<T>): AsyncGenerator<T> {
    const client = this.#current;
    let iterator = open(client)[Symbol.asyncIterator]();
    let first: IteratorResult<T>;
    try {
      first = await iterator.next();
      this.#settle(client);
    } catch (err) {
      if (!this.#mayFallBack(err)) throw err;
      const other = await this.#otherClient();
      iterator = open(other)[Symbol.asyncIterator]();
      try {
        first = await iterator.next();
        this.#settle(other);
      } catch (second) {
        throw this.#bothFailed(operation, err, second);
      }
    }
    try {
      for (let next = first; !next.done; next = await iterator.next()) yield next.value;
    } finally {
      // A consumer that stops early (break, an error) closes the SDK's stream and its HTTP response.
      await iterator.return?.();
    }
  }

  #settle(client: Client): void {
    this.#current = client;
    this.#settled = true;
  }

  #mayFallBack(err: unknown): boolean {
    if (this.#settled) return false;
    const code = rpcCodeOf(err);
    return code === METHOD_NOT_FOUND || code === VERSION_NOT_SUPPORTED;
  }

  #bothFailed(operation: AgentOperation, first: unknown, second: unknown): unknown {
    // The other version failed for another reason than not knowing the method: that error is the news.
    if (!this.#mayFallBack(second)) return second;
    const [current, legacy] = METHOD_NAMES[operation];
    return new ProtocolMismatch(
      `the agent answered neither ${current} (A2A 1.0) nor ${legacy} (A2A 0.3) with anything but "method not found"`,
      first,
    );
  }

  #otherClient(): Promise<Client> {
    this.#other ??= this.factory.createFromAgentCard(this.#otherCard());
    return this.#other;
  }

  /** The card with one JSON-RPC interface, at the same address, of the version not in use. */
  #otherCard(): AgentCard {
    const inUse = this.#current.protocolVersion;
    const wantLegacy = !isLegacyVersion(inUse);
    const jsonRpc = this.card.supportedInterfaces.filter((i) => i.protocolBinding === "JSONRPC");
    const declared = jsonRpc.find((i) => isLegacyVersion(i.protocolVersion) === wantLegacy);
    const base = jsonRpc[0] as AgentInterface;
    const other: AgentInterface = declared ?? { ...base, protocolVersion: wantLegacy ? "0.3" : "1.0" };
    return { ...this.card, supportedInterfaces: [other] };
  }
}

/** Both method names were unknown to the agent; made into an AgentCallError by the caller. */
export class ProtocolMismatch extends Error {
  constructor(
    message: string,
    readonly first: unknown,
  ) {
    super(message, { cause: first });
    this.name = "ProtocolMismatch";
  }
}
