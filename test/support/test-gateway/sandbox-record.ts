import type { ChildProcess } from "node:child_process";
import { create } from "@bufbuild/protobuf";
import type { SettingValue } from "../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  PolicyStatus,
  type Sandbox,
  type SandboxCondition,
  SandboxConditionSchema,
  SandboxPhase,
  type SandboxPolicyRevision,
  SandboxSchema,
  type SandboxSpec,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { WatchableSandbox } from "../../../src/local/streams/watchable-sandbox.js";
import { LogBuffer } from "./log-buffer.js";

export interface SandboxInit {
  id: string;
  name: string;
  workspace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: SandboxSpec;
  dir: string;
}

/**
 * Everything the gateway knows about one sandbox, plus the host process that plays its container.
 * Watchers and platform events are WatchableSandbox's, as for the local gateway's sandboxes.
 */
export class SandboxRecord extends WatchableSandbox {
  readonly name: string;
  readonly workspace: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly spec: SandboxSpec;
  /** The sandbox's "filesystem": the main process and execs run here unless told otherwise. */
  readonly dir: string;
  readonly createdAtMs = BigInt(Date.now());
  readonly logs: LogBuffer;
  /** Policy history, oldest first; the last LOADED one is active. */
  readonly revisions: SandboxPolicyRevision[] = [];
  readonly settings = new Map<string, SettingValue>();
  settingsRevision = 0n;

  resourceVersion = 1n;
  phase = SandboxPhase.PROVISIONING;
  condition: SandboxCondition;
  exitCode: number | undefined;
  main: ChildProcess | undefined;
  /** Exec processes still running: they die with the sandbox, as in a container. */
  readonly execs = new Set<ChildProcess>();
  /** Bumped on every spawn, so clients can tell a restarted main process from the old one. */
  mainInstance = 0;
  deletionTimestampMs = 0n;
  /** Open ForwardTcp streams, for the per-sandbox limit. */
  forwards = 0;
  /** Which workload template (and its version) the sandbox was created from, if any. */
  createdFromWorkloadTemplate: { name: string; resourceVersion: string } | undefined;

  constructor(init: SandboxInit) {
    super(init.id);
    this.name = init.name;
    this.workspace = init.workspace;
    this.labels = init.labels;
    this.annotations = init.annotations;
    this.spec = init.spec;
    this.dir = init.dir;
    this.logs = new LogBuffer(init.id);
    this.condition = readyCondition("False", "Provisioning", "sandbox is being provisioned");
  }

  get activePolicyVersion(): number {
    for (let i = this.revisions.length - 1; i >= 0; i--) {
      const revision = this.revisions[i]!;
      if (revision.status === PolicyStatus.LOADED) return revision.version;
    }
    return 0;
  }

  override toProto(): Sandbox {
    return create(SandboxSchema, {
      metadata: {
        id: this.id,
        name: this.name,
        createdAtMs: this.createdAtMs,
        labels: { ...this.labels },
        annotations: { ...this.annotations },
        resourceVersion: this.resourceVersion,
        workspace: this.workspace,
        deletionTimestampMs: this.deletionTimestampMs,
      },
      spec: this.spec,
      status: {
        sandboxName: this.name,
        conditions: [this.condition],
        phase: this.phase,
        currentPolicyVersion: this.activePolicyVersion,
        mainProcessInstanceId: this.mainInstance > 0 ? `${this.id}-${this.mainInstance}` : "",
        exitCode: this.exitCode,
      },
      createdFromWorkloadTemplate: this.createdFromWorkloadTemplate,
    });
  }

  /** A phase change: new resource version, a gateway log line, a platform event, and watchers told. */
  transition(
    phase: SandboxPhase,
    status: "True" | "False" | "Unknown",
    reason: string,
    message: string,
  ): void {
    this.phase = phase;
    this.condition = readyCondition(status, reason, message);
    const phaseName = SandboxPhase[phase];
    this.gatewayLog(phase === SandboxPhase.ERROR ? "ERROR" : "INFO", `sandbox ${phaseName}: ${message}`);
    this.addEvent("Normal", reason, message);
    this.touch();
  }

  /** Any other change to the object (providers, policy): bump the version and tell watchers. */
  touch(): void {
    this.resourceVersion++;
    this.announce();
  }

  gatewayLog(level: string, message: string): void {
    this.emitLog(this.logs.append("gateway", level, "openshell_server", message));
  }

  sandboxLog(level: string, message: string): void {
    this.emitLog(this.logs.append("sandbox", level, "main_process", message));
  }
}

function readyCondition(status: string, reason: string, message: string): SandboxCondition {
  return create(SandboxConditionSchema, {
    type: "Ready",
    status,
    reason,
    message,
    lastTransitionTime: new Date().toISOString(),
  });
}
