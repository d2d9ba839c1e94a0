import { NotFoundError } from "../../errors.js";
import { validate } from "../../validation/validate.js";
import type { ExecEvent } from "../exec/exec-events.js";
import { execInteractive, type InteractiveExec } from "../exec/exec-interactive.js";
import type { ExecOptions, ExecRunOptions } from "../exec/exec-options.js";
import { type ExecResult, execBuffered, execStream } from "../exec/exec-stream.js";
import type { FilesArchive, FilesArchiveProvider } from "../files/files-target.js";
import { SandboxFiles } from "../files/sandbox-files.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions } from "../request-options.js";
import { type ForwardOptions, openPortForward, type PortForward } from "./port-forward.js";
import type { SandboxEvent, SandboxLogLine } from "./sandbox-events.js";
import type { SandboxInfo } from "./sandbox-info.js";
import { type FollowLogsOptions, followLogs, type ReadLogsOptions, readLogs } from "./sandbox-logs.js";
import { type ResultWaitOptions, type SandboxResult, waitForResult } from "./sandbox-result.js";
import type { SandboxService, WatchSandboxOptions } from "./sandbox-service.js";
import { type WaitOptions, waitForReady } from "./wait-for-phase.js";
import { waitOptionsSchema } from "./wait-options.js";
import { watchOptionsSchema } from "./watch-options.js";

/**
 * A handle on one sandbox. It remembers the gateway's id once known, so exec, forward and logs need
 * no extra lookup. `await using sb = ...` deletes the sandbox when the scope ends.
 */
export class Sandbox implements AsyncDisposable {
  /** The last state this handle saw (from create, get, refresh, ready). */
  info: SandboxInfo | undefined;
  /** Files in and out of this sandbox (read, write, upload, download, list), streamed over exec. */
  readonly files: SandboxFiles;
  /** @internal Local mode's archive access for `files` (FilesTarget.archive); undefined elsewhere. */
  readonly archive: FilesArchive | undefined;
  private idLookup: Promise<string> | undefined;

  /** @internal Use `os.sandboxes.create()`, `get()` or `handle()`. */
  constructor(
    private readonly calls: GatewayCalls,
    private readonly service: SandboxService,
    readonly name: string,
    readonly workspace: string,
    info: SandboxInfo | undefined,
    archives?: FilesArchiveProvider,
  ) {
    this.info = info;
    this.archive = archives?.((signal) => this.id(signal === undefined ? {} : { signal }));
    this.files = new SandboxFiles(this);
    if (info?.id) this.idLookup = Promise.resolve(info.id);
  }

  /** The gateway's id, looked up once by name when not yet known. */
  id(options?: RequestOptions): Promise<string> {
    this.idLookup ??= this.service
      .resolveId(this.name, { ...options, workspace: this.workspace })
      .catch((err) => {
        this.idLookup = undefined;
        throw err;
      });
    return this.idLookup;
  }

  /** Fetches the current state. */
  async refresh(options?: RequestOptions): Promise<SandboxInfo> {
    this.info = await this.service.info(this.name, { ...options, workspace: this.workspace });
    this.idLookup = Promise.resolve(this.info.id);
    return this.info;
  }

  /**
   * Waits until the sandbox is ready. @throws SandboxFailedError with phase, reason and exit code when
   * it fails first, or with phase `completed` when its main process already finished (exit code 0);
   * TimeoutError after `timeoutMs` (default 5 min).
   */
  async ready(options: Omit<WaitOptions, "workspace"> = {}): Promise<SandboxInfo> {
    validate(waitOptionsSchema, options, "wait options");
    this.info = await waitForReady(this.service, this.name, await this.id(), {
      ...options,
      workspace: this.workspace,
    });
    return this.info;
  }

  /**
   * Waits until the sandbox's main process (its `command`) has finished, for sandboxes that run a
   * job to completion, and returns how it ended. Any exit is a result, not an error: exit code 0 is
   * phase `completed`, any other code phase `error` (`result.exitCode` says which). Older gateways
   * that report an exit 0 as ERROR give `completed` too.
   *
   * @throws SandboxFailedError when the sandbox fails without its main process exiting (image not
   *   found, container removed: no exit code), is stopped, or is deleted while waited on.
   * @throws TimeoutError after `timeoutMs` (default: no limit); the sandbox keeps running.
   * @throws CanceledError when `signal` aborts.
   */
  async wait(options: Omit<ResultWaitOptions, "workspace"> = {}): Promise<SandboxResult> {
    validate(waitOptionsSchema, options, "wait options");
    const result = await waitForResult(this.service, this.name, await this.id(), {
      ...options,
      workspace: this.workspace,
    });
    this.info = result.sandbox;
    return result;
  }

  /** Waits until the sandbox is gone. */
  async deleted(options: Omit<WaitOptions, "workspace"> = {}): Promise<void> {
    await this.service.deleted(this.name, { ...options, workspace: this.workspace });
  }

  /** Follows status (and optionally logs and events). See `os.sandboxes.watch`. */
  async *watch(
    options: Omit<WatchSandboxOptions, "workspace"> = {},
  ): AsyncGenerator<SandboxEvent, void, undefined> {
    validate(watchOptionsSchema, options, "watch options");
    yield* this.service.watchById(this.name, await this.id(), { ...options, workspace: this.workspace });
  }

  /** Runs a command to completion: exit code, stdout and stderr. A non-zero exit code is not an error. */
  exec(command: string[], options?: ExecRunOptions): Promise<ExecResult> {
    return execBuffered(this.calls, this.target(), command, options);
  }

  /** Runs a command and yields stdout/stderr chunks as they come, then its exit event. */
  execStream(command: string[], options?: ExecRunOptions): AsyncGenerator<ExecEvent, void, undefined> {
    return execStream(this.calls, this.target(), command, options);
  }

  /** Starts a command you can write to and resize while it runs. */
  execInteractive(command: string[], options?: ExecOptions): Promise<InteractiveExec> {
    return execInteractive(this.calls, this.target(), command, options);
  }

  /**
   * Listens on 127.0.0.1 and tunnels each connection to `port` inside the sandbox.
   * `await using fwd = await sb.forward({ port: 8080 }); fetch(fwd.url)`.
   */
  forward(options: ForwardOptions): Promise<PortForward> {
    return openPortForward(this.calls, this.target(), options, this.service.forwards);
  }

  /** Recent log lines, or with `{ follow: true }` every new line as it is written. */
  logs(options?: ReadLogsOptions): Promise<SandboxLogLine[]>;
  logs(options: FollowLogsOptions): AsyncGenerator<SandboxLogLine, void, undefined>;
  logs(
    options: ReadLogsOptions | FollowLogsOptions = {},
  ): Promise<SandboxLogLine[]> | AsyncGenerator<SandboxLogLine, void, undefined> {
    const sandbox = { name: this.name, workspace: this.workspace, id: () => this.id() };
    // `?.`: a JavaScript caller may pass null, which validation then refuses by name.
    if (options?.follow) return followLogs(this.service, sandbox, options);
    return readLogs(this.calls, sandbox, options);
  }

  /** Stops the sandbox (it must be ready). */
  async stop(options?: RequestOptions): Promise<SandboxInfo> {
    this.info = await this.service.stop(this.name, { ...options, workspace: this.workspace });
    return this.info;
  }

  /** Starts a stopped sandbox. */
  async start(options?: RequestOptions): Promise<SandboxInfo> {
    this.info = await this.service.start(this.name, { ...options, workspace: this.workspace });
    return this.info;
  }

  /** Asks the gateway to delete the sandbox; `deleted()` waits until it is gone. */
  delete(options?: RequestOptions): Promise<boolean> {
    return this.service.delete(this.name, { ...options, workspace: this.workspace });
  }

  /** Deletes the sandbox; one that is already gone is fine. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.delete();
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  private target() {
    return { name: this.name, id: () => this.id() };
  }
}
