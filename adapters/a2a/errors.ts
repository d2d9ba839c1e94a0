import { FailedPreconditionError, UnavailableError } from "openshell";

/** Why {@link AgentCardError} was thrown. */
export type AgentCardProblem =
  /** The agent answered the card's path with an HTTP error status (404: no card at that path). */
  | "not_found"
  /** The agent answered, but not with an A2A agent card (not JSON, or no name, or no interface). */
  | "invalid"
  /** The card names no JSON-RPC interface, the only binding this client speaks. */
  | "no_jsonrpc";

/**
 * The port answered HTTP, but not with an A2A agent card. `port` and `cardPath` say where the card
 * was looked for: check that the agent listens on that port and serves its card at that path.
 */
export class AgentCardError extends FailedPreconditionError {
  readonly problem: AgentCardProblem;
  /** The port inside the sandbox. */
  readonly port: number;
  /** The path the card was requested at (`/.well-known/agent-card.json` by default). */
  readonly cardPath: string;
  /** The HTTP status the agent answered with, when it answered. */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { problem: AgentCardProblem; port: number; cardPath: string; status?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.problem = options.problem;
    this.port = options.port;
    this.cardPath = options.cardPath;
    this.status = options.status;
  }
}

/**
 * Nothing answered HTTP on the agent's port inside the sandbox: the forward accepted the connection
 * and the sandbox side closed or reset it. The agent is not running, not listening yet, or listening
 * on another port or on an address the forward does not reach.
 */
export class AgentUnreachableError extends UnavailableError {
  /** The port inside the sandbox. */
  readonly port: number;

  constructor(message: string, options: { port: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.port = options.port;
  }
}

/**
 * The agent answered an A2A call with an error (an unknown task, a task that cannot be canceled, a
 * request it rejects), or with something that is not a valid A2A answer.
 */
export class AgentCallError extends FailedPreconditionError {
  /** The client call that failed (`send`, `stream`, `getTask`, `cancelTask`). */
  readonly operation: string;
  /** The JSON-RPC error code the agent answered with (-32001 task not found, ...), when it did. */
  readonly rpcCode: number | undefined;

  constructor(message: string, options: { operation: string; rpcCode?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.operation = options.operation;
    this.rpcCode = options.rpcCode;
  }
}
