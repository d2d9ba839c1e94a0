import type { Sandbox } from "openshell";
import { CanceledError, InvalidArgumentError } from "openshell";
import { z } from "zod";
import { DEFAULT_CARD_PATH } from "./agent-card.js";
import { type AgentConnection, openAgentConnection } from "./agent-connection.js";

/** Options of {@link connectAgent}. */
export interface ConnectAgentOptions {
  /** The port the agent listens on inside the sandbox (A2A agents built by the registry's tooling use 8080). */
  port: number;
  /** Path of the agent card. Default `/.well-known/agent-card.json`. */
  cardPath?: string;
  /** How long to wait for the agent card. Default 10000. */
  timeoutMs?: number;
  /**
   * Cancels connecting (it then rejects with `CanceledError`, leaving no forward open) and, once
   * connected, closes the connection and its forward as `close()` does.
   */
  signal?: AbortSignal;
}

const optionsSchema = z
  .object({
    port: z.number().int().min(1).max(65_535),
    cardPath: z
      .string()
      .regex(/^\/[^\s]*$/, "must be an absolute path such as /.well-known/agent-card.json")
      .optional(),
    timeoutMs: z.number().int().positive().optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

/**
 * Connects to the A2A agent listening on `port` inside `sandbox`: opens a port forward (on 127.0.0.1
 * only; the port is never published), reads the agent's card through it, and returns a client built
 * on the official `@a2a-js/sdk` that reaches the agent through the forward whatever address its card
 * names. It speaks both A2A 1.0 (`SendMessage`, ...) and 0.3 (`message/send`, ...).
 *
 * ```ts
 * await using agent = await connectAgent(sandbox, { port: 8080 });
 * const reply = await agent.send("hello");
 * for await (const event of agent.stream("hello")) console.log(event.payload?.$case);
 * ```
 *
 * @throws InvalidArgumentError for bad options (`field` names the option).
 * @throws AgentUnreachableError when nothing answers HTTP on the port inside the sandbox.
 * @throws AgentCardError when the port answers but serves no A2A agent card at `cardPath`.
 * @throws CanceledError when `signal` fires; the forward is closed.
 */
export async function connectAgent(
  sandbox: Pick<Sandbox, "name" | "forward">,
  options: ConnectAgentOptions,
): Promise<AgentConnection> {
  if (sandbox === null || typeof sandbox !== "object" || typeof sandbox.forward !== "function") {
    throw new InvalidArgumentError(
      "connectAgent: sandbox must be a Sandbox (from os.sandboxes.create or get)",
      {
        field: "sandbox",
      },
    );
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "options";
    throw new InvalidArgumentError(`connectAgent options: ${field}: ${issue?.message ?? "invalid"}`, {
      field,
    });
  }
  const { port, cardPath = DEFAULT_CARD_PATH, timeoutMs = 10_000 } = parsed.data;
  const signal = parsed.data.signal ?? new AbortController().signal;
  const where = `port ${port} of sandbox "${sandbox.name}"`;
  if (signal.aborted)
    throw new CanceledError(`connecting to the A2A agent on ${where}: canceled before it started`);
  const forward = await sandbox.forward({ port, signal });
  try {
    return await openAgentConnection({
      baseUrl: forward.url,
      port,
      cardPath,
      where,
      signal,
      timeoutMs,
      close: () => forward.close(),
    });
  } catch (err) {
    await forward.close();
    throw err;
  }
}
