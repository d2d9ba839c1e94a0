import type { ChildProcess } from "node:child_process";
import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Provider } from "../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import type { SshSession } from "../../../src/local/handlers/forward-handlers.js";
import type { InferenceRoute } from "../../../src/local/protocol/inference-routes.js";
import { workspaceOf } from "../../../src/local/protocol/validation.js";
import { killGroup } from "./processes.js";
import type { SandboxRecord } from "./sandbox-record.js";

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** A call as the gateway saw it, so tests can assert which headers the client really sent. */
export interface RecordedCall {
  method: string;
  headers: Headers;
}

/**
 * The gateway's whole state, in memory. Tests may read it (`gateway.state`) to assert what the
 * client did; the handlers are the only writers.
 */
export class GatewayState {
  readonly sandboxes = new Map<string, SandboxRecord>();
  /** Keyed by `workspace/name`. */
  readonly providers = new Map<string, Provider>();
  /** Keyed by `workspace/route_name`. */
  readonly routes = new Map<string, InferenceRoute>();
  /** CreateSshSession tokens; a deleted sandbox's are dropped with it. */
  readonly sshSessions = new Map<string, SshSession>();
  /** Last terminal size of each interactive exec, by sandbox id (start frame, then resizes). */
  readonly terminalSizes = new Map<string, TerminalSize>();
  lastTerminalSize: TerminalSize | undefined;
  /**
   * Act as a gateway from before upstream PR #2884: an exit 0 of the main process is ERROR with exit
   * code 0 (reason `MainProcessExited`), never COMPLETED.
   */
  legacyMainProcessExit = false;
  /** `no_login_shell` of every ExecSandbox / interactive start, in order (the last 100). */
  readonly execLoginShells: boolean[] = [];
  lastCall: RecordedCall | undefined;
  readonly calls: RecordedCall[] = [];
  /** Aborted on close and crash: long-lived streams listen to it so none outlives the gateway. */
  readonly shutdown = new AbortController();
  /** Parent of every sandbox's working folder; the only thing the gateway puts on disk. */
  readonly root = mkdtempSync(join(tmpdir(), "openshell-test-gateway-"));
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly children = new Set<ChildProcess>();
  private serial = 0;

  constructor() {
    // Each open stream (a forwarded connection, an exec) listens on it and stops when it ends: as
    // many as are open at once, which may be more than Node's leak-warning threshold of 10.
    setMaxListeners(0, this.shutdown.signal);
  }

  get closed(): boolean {
    return this.shutdown.signal.aborted;
  }

  /** The next unique suffix for generated names and folders. */
  nextSerial(): number {
    return ++this.serial;
  }

  /** A timer that dies with the gateway, so no transition fires after close. */
  later(ms: number, run: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, ms);
    this.timers.add(timer);
  }

  /** Registers a host process so close and crash kill it. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once("close", () => this.children.delete(child));
    child.once("error", () => this.children.delete(child));
  }

  sandboxByName(name: string, workspace: string): SandboxRecord {
    const ws = workspaceOf(workspace);
    for (const record of this.sandboxes.values()) {
      if (record.name === name && record.workspace === ws) return record;
    }
    throw new ConnectError(`sandbox "${name}" not found in workspace "${ws}"`, Code.NotFound);
  }

  /** Id-keyed calls answer NOT_FOUND alike for missing and forbidden sandboxes. */
  sandboxById(id: string): SandboxRecord {
    const record = this.sandboxes.get(id);
    if (!record) throw new ConnectError(`sandbox with id "${id}" not found`, Code.NotFound);
    return record;
  }

  provider(name: string, workspace: string): Provider | undefined {
    return this.providers.get(`${workspaceOf(workspace)}/${name}`);
  }

  record(method: string, headers: Headers): void {
    this.lastCall = { method, headers: new Headers(headers) };
    this.calls.push(this.lastCall);
    if (this.calls.length > 1000) this.calls.shift();
  }

  /** Stops every timer and process and removes the sandboxes' folders. Idempotent. */
  dispose(): void {
    if (!this.closed) this.shutdown.abort(new ConnectError("the gateway is shutting down", Code.Unavailable));
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const child of this.children) killGroup(child, "SIGKILL");
    this.children.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}
