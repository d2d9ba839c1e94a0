import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  type PlatformEvent,
  PlatformEventSchema,
  type Sandbox,
  type SandboxCondition,
  SandboxConditionSchema,
  type SandboxLogLine,
  SandboxLogLineSchema,
  SandboxPhase,
  SandboxSchema,
  type SandboxSpec,
  SandboxSpecSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerInfo } from "../../runtime/container-info.js";
import type { LogSource } from "../protocol/log-filter.js";
import type { GatewayLogLevel, SandboxView } from "./sandbox-directory.js";
import { type DerivedPhase, deriveSandboxPhase, type SandboxIntent } from "./sandbox-phase.js";

/** What the state store keeps of a sandbox: everything the runtime cannot hold. */
export interface StoredSandboxRecord {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The spec as protobuf JSON. */
  spec: JsonValue;
  intent: SandboxIntent;
  /** uint64 as a decimal string: JSON has no bigint. */
  resourceVersion: string;
  containerId?: string;
  /** When the last start was asked for: an exit before it is the old run's, not the new one's. */
  startRequestedMs?: number;
  /** Timestamp of the last main-process log line stored, so a new log pump does not repeat lines. */
  logCursorMs?: number;
  /** Set when the sandbox could not be provisioned (no image, runtime refused the container). */
  failure?: { reason: string; message: string };
}

/** What a watcher hears about one sandbox; every callback is optional. */
export interface SandboxListener {
  sandbox?(sandbox: Sandbox): void;
  log?(line: SandboxLogLine): void;
  event?(event: PlatformEvent): void;
  /** The sandbox was deleted: the gateway ends watch streams silently at this point. */
  gone?(): void;
}

/** Platform events kept in memory for `event_tail`. */
const EVENTS_KEPT = 200;

/**
 * One sandbox as the gateway holds it while it runs: the stored record, the last container state the
 * runtime reported, and the watchers. Its phase is always derived from the container (see
 * deriveSandboxPhase), so what a restarted gateway reports is what this one reported.
 */
export class LiveSandbox implements SandboxView {
  readonly listeners = new Set<SandboxListener>();
  readonly events: PlatformEvent[] = [];
  /** Main-process lines watchers have seen that the log pump has not written to the store yet. */
  readonly unflushedLogs: SandboxLogLine[] = [];
  /** Open ForwardTcp streams, for the per-sandbox limit. */
  forwards = 0;
  /** The last inspect of the container; undefined before it exists or once it is gone. */
  container: ContainerInfo | undefined;
  private spec_: SandboxSpec;
  private lastPhase: DerivedPhase;
  private lastTransition = new Date().toISOString();

  constructor(
    readonly id: string,
    readonly name: string,
    readonly workspace: string,
    readonly createdMs: number,
    public record: StoredSandboxRecord,
    private readonly policyVersion: (sandboxId: string) => number,
  ) {
    this.spec_ = fromJson(SandboxSpecSchema, record.spec, { ignoreUnknownFields: true });
    this.lastPhase = this.derive();
  }

  static encodeSpec(spec: SandboxSpec): JsonValue {
    return toJson(SandboxSpecSchema, spec);
  }

  get spec(): SandboxSpec {
    return this.spec_;
  }

  set spec(spec: SandboxSpec) {
    this.spec_ = spec;
    this.record = { ...this.record, spec: LiveSandbox.encodeSpec(spec) };
  }

  get resourceVersion(): bigint {
    return BigInt(this.record.resourceVersion);
  }

  get phase(): SandboxPhase {
    return this.lastPhase.phase;
  }

  get status(): DerivedPhase {
    return this.lastPhase;
  }

  /**
   * The phase from what is known now. Before the container exists the sandbox is PROVISIONING (the
   * image is being prepared) unless provisioning failed; once it has an id, the container decides.
   */
  derive(): DerivedPhase {
    if (this.record.intent === "delete") return deriveSandboxPhase(undefined, "delete");
    if (this.record.failure) {
      return {
        phase: SandboxPhase.ERROR,
        reason: this.record.failure.reason,
        message: this.record.failure.message,
      };
    }
    if (this.record.containerId === undefined) {
      return {
        phase: SandboxPhase.PROVISIONING,
        reason: "Provisioning",
        message: "the image is being prepared",
      };
    }
    const container = this.container;
    const requested = this.record.startRequestedMs;
    if (
      this.record.intent === "start" &&
      container !== undefined &&
      !container.running &&
      requested !== undefined &&
      (container.finishedAt === null || container.finishedAt.getTime() <= requested)
    ) {
      // Still the previous run's exit (the engine keeps it until the new start): not a failure.
      return { phase: SandboxPhase.STARTING, reason: "Starting", message: "the container is starting" };
    }
    return deriveSandboxPhase(container, this.record.intent);
  }

  /** Re-derives the phase; true (and a new resource version) when anything a client sees changed. */
  rederive(): boolean {
    const next = this.derive();
    const prev = this.lastPhase;
    if (next.phase === prev.phase && next.reason === prev.reason && next.exitCode === prev.exitCode)
      return false;
    this.lastPhase = next;
    this.lastTransition = new Date().toISOString();
    return true;
  }

  bumpVersion(): void {
    this.record = { ...this.record, resourceVersion: String(this.resourceVersion + 1n) };
  }

  toProto(): Sandbox {
    const status = this.lastPhase;
    return create(SandboxSchema, {
      metadata: {
        id: this.id,
        name: this.name,
        createdAtMs: BigInt(this.createdMs),
        labels: { ...this.record.labels },
        annotations: { ...this.record.annotations },
        resourceVersion: this.resourceVersion,
        workspace: this.workspace,
        deletionTimestampMs: 0n,
      },
      spec: this.spec_,
      status: {
        sandboxName: this.name,
        conditions: [readyCondition(status, this.lastTransition)],
        phase: status.phase,
        currentPolicyVersion: this.policyVersion(this.id),
        mainProcessInstanceId:
          this.container?.startedAt && this.record.containerId
            ? `${this.record.containerId.slice(0, 12)}-${this.container.startedAt.getTime()}`
            : "",
        exitCode: status.exitCode,
      },
    });
  }

  /** Tells every watcher the sandbox as it is now. */
  announce(): void {
    const snapshot = this.toProto();
    for (const listener of this.listeners) listener.sandbox?.(snapshot);
  }

  emitLog(line: SandboxLogLine): void {
    for (const listener of this.listeners) listener.log?.(line);
  }

  addEvent(type: "Normal" | "Warning", reason: string, message: string): void {
    const event = create(PlatformEventSchema, {
      timestampMs: BigInt(Date.now()),
      source: "gateway",
      type,
      reason,
      message,
      metadata: { sandbox_id: this.id },
    });
    this.events.push(event);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
    for (const listener of this.listeners) listener.event?.(event);
  }

  gone(): void {
    for (const listener of [...this.listeners]) listener.gone?.();
    this.listeners.clear();
  }
}

/** A log line as the protocol carries it. */
export function logLine(
  sandboxId: string,
  source: LogSource | string,
  level: GatewayLogLevel | string,
  target: string,
  message: string,
  timestampMs: number,
): SandboxLogLine {
  return create(SandboxLogLineSchema, {
    sandboxId,
    timestampMs: BigInt(timestampMs),
    level,
    target,
    message,
    source,
  });
}

function readyCondition(status: DerivedPhase, since: string): SandboxCondition {
  return create(SandboxConditionSchema, {
    type: "Ready",
    status:
      status.phase === SandboxPhase.READY
        ? "True"
        : status.phase === SandboxPhase.UNKNOWN
          ? "Unknown"
          : "False",
    reason: status.reason,
    message: status.message,
    lastTransitionTime: since,
  });
}
