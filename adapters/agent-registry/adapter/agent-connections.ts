import type { Message, Task } from "@a2a-js/sdk";
import { CanceledError, type OpenShell } from "openshell";
import { type AgentConnection, AgentUnreachableError, connectAgent } from "openshell/adapters/a2a";

interface OpenConnection {
  /** The sandbox it reaches: a replaced sandbox (same name, new id) gets a new connection. */
  sandboxId: string;
  connection: Promise<AgentConnection>;
}

/**
 * One A2A connection per deployment, kept open between invocations: connecting costs a forward
 * token, a tunnel and the agent card (5 to 6 ms on a local gateway, against well under 1 ms for a
 * send on an open connection; bench/a2a). A connection to an earlier sandbox of the deployment, or
 * one whose agent could not be reached, is closed and the next call opens a new one.
 */
export class AgentConnections {
  private readonly open = new Map<string, OpenConnection>();

  constructor(private readonly client: OpenShell) {}

  /** Sends `message` to the agent of deployment `key`, running in `sandbox`, on `port`. */
  async send(
    key: string,
    sandbox: { name: string; id: string },
    port: number,
    message: string | Message,
    signal: AbortSignal | undefined,
  ): Promise<Message | Task> {
    let entry = this.open.get(key);
    if (entry !== undefined && entry.sandboxId !== sandbox.id) {
      this.close(key);
      entry = undefined;
    }
    if (entry === undefined) {
      // Not tied to this caller's signal: the connection outlives the call that opened it.
      const connection = connectAgent(this.client.sandboxes.handle(sandbox.name), { port });
      entry = { sandboxId: sandbox.id, connection };
      this.open.set(key, entry);
      const opened = entry;
      connection.catch(() => {
        if (this.open.get(key) === opened) this.open.delete(key);
      });
    }
    const connection = await untilAborted(entry.connection, signal);
    try {
      return await connection.send(message, signal ? { signal } : {});
    } catch (err) {
      if (err instanceof AgentUnreachableError) this.close(key);
      throw err;
    }
  }

  /** Closes the connection of deployment `key`, if it has one. */
  close(key: string): void {
    const entry = this.open.get(key);
    if (entry === undefined) return;
    this.open.delete(key);
    void entry.connection.then(
      (connection) => connection.close(),
      () => undefined,
    );
  }

  /** Closes every connection. */
  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    await Promise.all(
      entries.map((entry) =>
        entry.connection.then(
          (connection) => connection.close(),
          () => undefined,
        ),
      ),
    );
  }
}

/** `promise`, or CanceledError as soon as `signal` fires (the promise itself goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted)
    return Promise.reject(new CanceledError("invoke: canceled by the caller's AbortSignal"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new CanceledError("invoke: canceled by the caller's AbortSignal while connecting"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
