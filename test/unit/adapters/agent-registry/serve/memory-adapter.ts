import { type Message, Role, type Task } from "@a2a-js/sdk";
import { CanceledError, InvalidArgumentError, NotFoundError } from "openshell";
import {
  type AdapterApplyResult,
  type AdapterRemoveResult,
  type Condition,
  type DiscoveredTarget,
  deploymentSchema,
  desiredFingerprint,
  type FingerprintInput,
  type LogLine,
  parseApplyInput,
  parseRemoveInput,
  sandboxNameFor,
  setCondition,
} from "openshell/adapters/agent-registry";
import type {
  AdapterCallOptions,
  DeploymentAdapter,
  DeploymentStatus,
  LogsRequest,
} from "../../../../../adapters/agent-registry/adapter/deployment-adapter.js";

/** One logs or watch iteration the adapter served: its signal, and whether it has ended. */
export interface StreamRecord {
  kind: "logs" | "watch";
  signal: AbortSignal | undefined;
  ended: boolean;
}

interface Entry {
  status: DeploymentStatus;
  logs: LogLine[];
  /** Woken (and cleared) on every change. */
  waiters: Set<() => void>;
  removed: boolean;
}

/**
 * A DeploymentAdapter that keeps deployments in memory, for testing the HTTP service without a
 * gateway: it validates inputs with the package's own parsers, answers apply with Progressing, and
 * converges only when the test says so. Its streams honour their signal the way the real adapter
 * must, and record what they saw.
 */
export class MemoryAdapter implements DeploymentAdapter {
  readonly streams: StreamRecord[] = [];
  /** The signal of each unary call, by method, in order. */
  readonly signals: { method: string; signal: AbortSignal | undefined }[] = [];
  /** Set to make apply wait (until it resolves, or the call's signal fires). */
  applyGate: Promise<void> | undefined;
  /** Set to make apply hang for ever, ignoring its signal (a broken adapter). */
  stuck = false;
  /** What discover answers. */
  discovered: DiscoveredTarget[] = [];
  /** Set to make every call throw it (an adapter bug, say). */
  failure: Error | undefined;
  private streamFailure: Error | undefined;
  private readonly entries = new Map<string, Entry>();

  type(): string {
    return "OpenShell";
  }

  supportedTargetKinds(): string[] {
    return ["Agent", "MCPServer"];
  }

  async apply(input: unknown, options: AdapterCallOptions = {}): Promise<AdapterApplyResult> {
    this.signals.push({ method: "apply", signal: options.signal });
    this.throwFailure();
    const parsed = parseApplyInput(input);
    if (this.stuck) await new Promise(() => {});
    if (this.applyGate) await untilOrAborted(this.applyGate, options.signal);
    const name = sandboxNameFor(parsed.deployment);
    const conditions = setCondition([], {
      type: "Progressing",
      status: "True",
      reason: "SandboxCreating",
      message: `creating sandbox ${name}`,
    });
    const status = { conditions, runtimeMetadata: { sandboxName: name } };
    const existing = this.entries.get(name);
    if (existing && !existing.removed) this.change(existing, status);
    else this.entries.set(name, { status, logs: [], waiters: new Set(), removed: false });
    return { ...status, details: { image: parsed.image } };
  }

  async remove(input: unknown, options: AdapterCallOptions = {}): Promise<AdapterRemoveResult> {
    this.signals.push({ method: "remove", signal: options.signal });
    this.throwFailure();
    const { deployment } = parseRemoveInput(input);
    const conditions = setCondition([], {
      type: "Ready",
      status: "False",
      reason: "Removed",
      message: "the sandbox is removed",
    });
    const entry = this.entries.get(sandboxNameFor(deployment));
    if (entry && !entry.removed) {
      entry.removed = true;
      this.change(entry, { conditions, runtimeMetadata: entry.status.runtimeMetadata });
    }
    return { conditions };
  }

  async *logs(request: LogsRequest): AsyncIterable<LogLine> {
    const record: StreamRecord = { kind: "logs", signal: request.signal, ended: false };
    this.streams.push(record);
    try {
      const entry = this.entryOf(request.deployment);
      const tail = request.tailLines ?? 0;
      let index = tail > 0 ? Math.max(0, entry.logs.length - tail) : 0;
      for (;;) {
        while (index < entry.logs.length) yield entry.logs[index++] as LogLine;
        if (!request.follow || entry.removed || request.signal?.aborted) return;
        await this.nextChange(entry, request.signal);
        if (this.streamFailure) throw this.streamFailure;
      }
    } finally {
      record.ended = true;
    }
  }

  async discover(input: unknown, options: AdapterCallOptions = {}): Promise<DiscoveredTarget[]> {
    this.signals.push({ method: "discover", signal: options.signal });
    const runtime = (input as { runtime?: unknown }).runtime;
    if (runtime === undefined)
      throw new InvalidArgumentError("invalid runtime: is required", { field: "runtime" });
    return this.discovered;
  }

  desiredFingerprint(input: unknown): string {
    return desiredFingerprint(input as FingerprintInput);
  }

  async *watch(deployment: unknown, options: AdapterCallOptions = {}): AsyncIterable<DeploymentStatus> {
    const record: StreamRecord = { kind: "watch", signal: options.signal, ended: false };
    this.streams.push(record);
    try {
      const entry = this.entryOf(deployment);
      for (;;) {
        const seen = entry.status;
        yield seen;
        if (entry.removed || options.signal?.aborted) return;
        while (entry.status === seen && !options.signal?.aborted) {
          await this.nextChange(entry, options.signal);
          if (this.streamFailure) throw this.streamFailure;
        }
        if (options.signal?.aborted) return;
      }
    } finally {
      record.ended = true;
    }
  }

  async invoke(
    deployment: unknown,
    message: string | Message,
    options: AdapterCallOptions = {},
  ): Promise<Message | Task> {
    this.signals.push({ method: "invoke", signal: options.signal });
    this.throwFailure();
    this.entryOf(deployment);
    const text =
      typeof message === "string"
        ? message
        : message.parts.flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : [])).join("");
    return {
      messageId: "reply-1",
      contextId: "context-1",
      taskId: "",
      role: Role.ROLE_AGENT,
      parts: [
        {
          content: { $case: "text", value: `echo: ${text}` },
          metadata: undefined,
          filename: "",
          mediaType: "text/plain",
        },
      ],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
  }

  /** Test hook: the deployment converged (or failed). */
  converge(sandboxName: string, update: Parameters<typeof setCondition>[1]): void {
    const entry = this.entries.get(sandboxName);
    if (!entry) throw new Error(`no deployment ${sandboxName}`);
    this.change(entry, { ...entry.status, conditions: setCondition(entry.status.conditions, update) });
  }

  /** Test hook: the sandbox printed a line. */
  appendLog(sandboxName: string, line: string, stream = "stdout"): void {
    const entry = this.entries.get(sandboxName);
    if (!entry) throw new Error(`no deployment ${sandboxName}`);
    entry.logs.push({ timestamp: new Date().toISOString(), stream, line });
    wakeAll(entry);
  }

  /** Test hook: every open stream fails with `err` (the gateway's watch broke, say). */
  failStreams(err: Error): void {
    this.streamFailure = err;
    for (const entry of this.entries.values()) wakeAll(entry);
  }

  /** The conditions of a deployment now. */
  conditionsOf(sandboxName: string): Condition[] | undefined {
    return this.entries.get(sandboxName)?.status.conditions;
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure;
  }

  private entryOf(deployment: unknown): Entry {
    const parsed = deploymentSchema.safeParse(deployment);
    if (!parsed.success) {
      throw new InvalidArgumentError("invalid deployment: not a registry Deployment", {
        field: "deployment",
      });
    }
    const entry = this.entries.get(sandboxNameFor(parsed.data));
    if (!entry || entry.removed) {
      throw new NotFoundError(`deployment "${parsed.data.metadata.name}" is not deployed; apply it first`);
    }
    return entry;
  }

  private change(entry: Entry, status: DeploymentStatus): void {
    entry.status = status;
    wakeAll(entry);
  }

  /** Resolves at the entry's next change or when `signal` fires, leaving no listener behind. */
  private nextChange(entry: Entry, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        entry.waiters.delete(wake);
        signal?.removeEventListener("abort", wake);
        resolve();
      };
      entry.waiters.add(wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }
}

function wakeAll(entry: Entry): void {
  const waiters = [...entry.waiters];
  entry.waiters.clear();
  for (const wake of waiters) wake();
}

function untilOrAborted(gate: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new CanceledError("apply: canceled by its signal"));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    gate.then(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
