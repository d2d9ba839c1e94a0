import { rmSync } from "node:fs";
import { SandboxPhase } from "../../../src/gen/openshell/v1/openshell_pb.js";
import type { GatewayState } from "./gateway-state.js";
import { exitCodeOf, killGroup, onLines, spawnGroup } from "./processes.js";
import type { SandboxRecord } from "./sandbox-record.js";

/**
 * Phase transitions, driven by timers and real process exits. The delays are short but not zero,
 * so clients see PROVISIONING / STARTING / DELETING the way they would on a real gateway.
 */
export const delays = { provisionMs: 30, startMs: 30, deleteMs: 50, stopKillMs: 2000 } as const;

/** The image name that scripts a backend failure (a pull that never succeeds). */
export const failingImage = "fail-image";

/** Environment the main process and every exec see: the host's, then the sandbox spec's. */
export function sandboxEnvironment(record: SandboxRecord): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...record.spec.template?.environment,
    ...record.spec.environment,
    OPENSHELL_SANDBOX_ID: record.id,
    OPENSHELL_SANDBOX: record.name,
  };
}

/** CreateSandbox and StartSandbox both end here after their delay. */
export function bringUp(state: GatewayState, record: SandboxRecord, delayMs: number): void {
  state.later(delayMs, () => {
    if (record.phase !== SandboxPhase.PROVISIONING && record.phase !== SandboxPhase.STARTING) return;
    if (record.spec.template?.image === failingImage) {
      record.transition(
        SandboxPhase.ERROR,
        "False",
        "ImagePullBackOff",
        `Back-off pulling image "${failingImage}": the test gateway scripts this image to fail`,
      );
      return;
    }
    // An empty command runs nothing here (upstream runs /bin/bash -l with a tty, which only makes
    // sense with a terminal attached): the sandbox just stays READY until stopped or deleted.
    record.exitCode = undefined;
    if (record.spec.command.length > 0) spawnMain(state, record);
    record.transition(SandboxPhase.READY, "True", "SupervisorConnected", "sandbox is ready");
  });
}

function spawnMain(state: GatewayState, record: SandboxRecord): void {
  const command = record.spec.command;
  const child = spawnGroup(command, {
    cwd: record.dir,
    env: {
      ...sandboxEnvironment(record),
      OPENSHELL_MAIN_PROCESS_SPEC: JSON.stringify({ version: 1, command, tty: record.spec.tty }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  state.track(child);
  record.main = child;
  record.mainInstance++;
  onLines(child.stdout, (line) => record.sandboxLog("INFO", line));
  onLines(child.stderr, (line) => record.sandboxLog("WARN", line));

  let exited = false;
  const onExit = (exitCode: number, detail: string) => {
    if (exited) return;
    exited = true;
    if (record.main === child) record.main = undefined;
    if (state.closed) return;
    if (record.phase === SandboxPhase.DELETING) return;
    if (record.phase === SandboxPhase.STOPPING) {
      record.exitCode = exitCode;
      record.transition(SandboxPhase.STOPPED, "False", "Stopped", "sandbox stopped");
      return;
    }
    record.exitCode = exitCode;
    mainProcessExited(state, record, exitCode, detail);
  };
  child.once("exit", (code, signal) => {
    const exitCode = exitCodeOf(code, signal);
    onExit(exitCode, `main process exited with code ${exitCode}${signal ? ` (${signal})` : ""}`);
  });
  // A command that cannot start at all (ENOENT, EACCES) fails the sandbox like a shell would: 127.
  child.once("error", (err) => onExit(127, `main process could not start: ${err.message}`));
}

/**
 * What a gateway reports when the main process exits: since upstream PR #2884 COMPLETED for exit 0
 * and ERROR (`MainProcessFailed`) otherwise; an older gateway (`state.legacyMainProcessExit`) ERROR
 * with reason `MainProcessExited` for any code, 0 included.
 */
function mainProcessExited(state: GatewayState, record: SandboxRecord, exitCode: number, detail: string) {
  if (state.legacyMainProcessExit) {
    record.transition(SandboxPhase.ERROR, "False", "MainProcessExited", detail);
  } else if (exitCode === 0) {
    record.transition(SandboxPhase.COMPLETED, "False", "MainProcessCompleted", detail);
  } else {
    record.transition(SandboxPhase.ERROR, "False", "MainProcessFailed", detail);
  }
}

export function stop(state: GatewayState, record: SandboxRecord): void {
  if (record.phase === SandboxPhase.STOPPING) return;
  record.transition(SandboxPhase.STOPPING, "False", "Stopping", "sandbox is stopping");
  const child = record.main;
  if (!child) {
    state.later(delays.startMs, () => {
      if (record.phase === SandboxPhase.STOPPING) {
        record.transition(SandboxPhase.STOPPED, "False", "Stopped", "sandbox stopped");
      }
    });
    return;
  }
  killGroup(child, "SIGTERM");
  // A process that ignores SIGTERM still stops, as a container runtime would force it.
  state.later(delays.stopKillMs, () => {
    if (record.main === child) killGroup(child, "SIGKILL");
  });
}

export function start(state: GatewayState, record: SandboxRecord): void {
  record.transition(SandboxPhase.STARTING, "False", "Starting", "sandbox is starting");
  bringUp(state, record, delays.startMs);
}

export function remove(state: GatewayState, record: SandboxRecord): void {
  record.deletionTimestampMs = BigInt(Date.now());
  record.transition(SandboxPhase.DELETING, "False", "Deleting", "sandbox is being deleted");
  if (record.main) killGroup(record.main, "SIGKILL");
  // A container's execs die with it: so do these, and their streams end.
  for (const exec of record.execs) killGroup(exec, "SIGKILL");
  state.later(delays.deleteMs, () => {
    state.sandboxes.delete(record.id);
    for (const [token, session] of state.sshSessions) {
      if (session.sandboxId === record.id) state.sshSessions.delete(token);
    }
    record.gone();
    rmSync(record.dir, { recursive: true, force: true });
  });
}
