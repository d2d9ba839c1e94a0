import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import {
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
import { WatchableSandbox } from "../streams/watchable-sandbox.js";
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
  /**
   * When the run before that start had started, for a runtime that keeps no end time (Apple
   * `container`, whose start times are whole seconds): a later start time is the new run's.
   */
  previousStartMs?: number;
  /**
   * The phase clients were last told, and since when. A restarted gateway starts from it, so finding
   * the container as it was is no transition (no new resource version, log line or event).
   */
  status?: DerivedPhase & { since: string };
  /** Set when the sandbox could not be provisioned (no image, runtime refused the container). */
  failure?: { reason: string; message: string };
  /** The workload template it was created from, at which version; absent for a plain create. */
  createdFromWorkloadTemplate?: { name: string; resourceVersion: string };
}

/**
 * One sandbox as the gateway holds it while it runs: the stored record, the last container state the
 * runtime reported, and the watchers. Its phase is always derived from the container (see
 * deriveSandboxPhase), so what a restarted gateway reports is what this one reported. Watchers and
 * platform events are WatchableSandbox's.
 */
export class LiveSandbox extends WatchableSandbox implements SandboxView {
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
    id: string,
    readonly name: string,
    readonly workspace: string,
    readonly createdMs: number,
    public record: StoredSandboxRecord,
    private readonly policyVersion: (sandboxId: string) => number,
  ) {
    super(id);
    this.spec_ = fromJson(SandboxSpecSchema, record.spec, { ignoreUnknownFields: true });
    const { since, ...told } = record.status ?? { ...this.derive(), since: this.lastTransition };
    this.lastPhase = told;
    this.lastTransition = since;
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
      requested !== undefined
    ) {
      // A runtime that keeps no end time (Apple `container`) still says when the last run started:
      // one that started after the request has run and ended, and is judged as any run's end.
      const previous = this.record.previousStartMs;
      const started = container.startedAt?.getTime();
      const ranSince =
        container.finishedAt === null
          ? started !== undefined &&
            (previous === undefined ? started >= requested - (requested % 1000) : started > previous)
          : container.finishedAt.getTime() > requested;
      if (!ranSince) {
        // Still the previous run's exit (the engine keeps it until the new start): not a failure.
        return { phase: SandboxPhase.STARTING, reason: "Starting", message: "the container is starting" };
      }
      if (container.finishedAt === null) return deriveSandboxPhase(container, "run");
    }
    return deriveSandboxPhase(container, this.record.intent);
  }

  /**
   * Re-derives the phase; true when anything a client sees changed. The new phase goes into the
   * record, for the caller to persist with the new resource version.
   */
  rederive(): boolean {
    const next = this.derive();
    const prev = this.lastPhase;
    if (next.phase === prev.phase && next.reason === prev.reason && next.exitCode === prev.exitCode)
      return false;
    this.lastPhase = next;
    this.lastTransition = new Date().toISOString();
    this.record = { ...this.record, status: { ...next, since: this.lastTransition } };
    return true;
  }

  bumpVersion(): void {
    this.record = { ...this.record, resourceVersion: String(this.resourceVersion + 1n) };
  }

  override toProto(): Sandbox {
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
      ...(this.record.createdFromWorkloadTemplate === undefined
        ? {}
        : { createdFromWorkloadTemplate: { ...this.record.createdFromWorkloadTemplate } }),
    });
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
