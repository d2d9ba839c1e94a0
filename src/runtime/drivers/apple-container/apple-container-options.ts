import type { Capability } from "../../capabilities.js";
import type { CommandRunner } from "../../process/command-runner.js";
import type { PickHostPort } from "./cli-args.js";

export interface AppleContainerRuntimeOptions {
  /** The CLI to run: a name looked up on PATH, or a path. Default `container`. */
  command?: string;
  /** Runs the CLI; a recording fake in tests. Default: `node:child_process`. */
  runner?: CommandRunner;
  /** Session id for labels and the reaper; a new one when absent. */
  sessionId?: string;
  /** Cancels `connect()`'s status check. */
  signal?: AbortSignal;
  /** How often `watchContainers`, `waitContainer` and followed `logs` poll the CLI. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Deadline for one CLI command (pulls, builds, logs and execs excepted). Default 120 s. */
  commandTimeoutMs?: number;
  /** Picks a free host port for a published port given none. Default: ask the OS. */
  pickHostPort?: PickHostPort;
  /**
   * The host's Darwin kernel release, as `os.release()` gives it (`25.0.0` is macOS 26); it decides
   * whether internal networks are offered. Default: `os.release()` on macOS, none elsewhere.
   */
  darwinRelease?: string;
}

/**
 * What Apple `container` can do before `connect()` has read the CLI's version (a runtime made with
 * `new`). Missing compared with Docker: privileged mode, GPUs, extra /etc/hosts entries, internal
 * networks, pids limits, no-new-privileges, image load, an event
 * stream (`watchContainers` polls), and log `since`/timestamps. `connect()` narrows or widens it to
 * the CLI found: `read-only-root` from 0.8.0, `cap-add-drop` from 0.12.0, `internal-networks` from
 * 0.9.0 on macOS 26.
 */
export const APPLE_CONTAINER_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  "port-publishing",
  "container-address",
  "volumes",
  "bind-mounts",
  "tmpfs",
  "exec",
  "tty",
  "networks",
  "cap-add-drop",
  "read-only-root",
  "resource-limits",
  "build",
]);
