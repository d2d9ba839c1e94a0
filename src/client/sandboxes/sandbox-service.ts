import { z } from "zod";
import { NotFoundError, ProtocolError } from "../../errors.js";
import { validate } from "../../validation/validate.js";
import type { FilesArchiveProvider } from "../files/files-target.js";
import { allPages } from "../internal/all-pages.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, StreamRequestOptions, WorkspaceOptions } from "../request-options.js";
import {
  labelsSchema,
  sandboxNameSchema,
  uint32Schema,
  workspaceScopedListSchema,
} from "../validation/common-schemas.js";
import { buildCreateSandboxRequest, type CreateSandboxOptions } from "./create-sandbox-options.js";
import type { ForwardRegistry } from "./port-forward.js";
import { Sandbox } from "./sandbox.js";
import { type SandboxEvent, toSandboxEvent } from "./sandbox-events.js";
import { type SandboxInfo, toSandboxInfo } from "./sandbox-info.js";
import { type ResultWaitOptions, type SandboxResult, waitForResult } from "./sandbox-result.js";
import { type WaitOptions, waitForDeleted, waitForReady } from "./wait-for-phase.js";
import { waitOptionsSchema } from "./wait-options.js";
import { watchOptionsSchema } from "./watch-options.js";

/** Options of {@link SandboxService.list}. */
export interface ListSandboxesOptions extends WorkspaceOptions, RequestOptions {
  /** Only sandboxes carrying all these object labels. */
  labels?: Record<string, string>;
  /** Page size: default 100, at most 1000. */
  limit?: number;
  offset?: number;
  /** Every workspace you can see (not together with `workspace`). */
  allWorkspaces?: boolean;
}

/** Options of {@link SandboxService.watch}. */
export interface WatchSandboxOptions extends WorkspaceOptions, StreamRequestOptions {
  /** Follow status changes (default true). */
  status?: boolean;
  /** Follow log lines (default false). */
  logs?: boolean;
  /** Follow platform events (default false). */
  events?: boolean;
  /** Log lines of history sent first (gateway default 200). */
  logTailLines?: number;
  /** Platform events of history sent first. */
  eventTail?: number;
  /** Only log lines at or after this time. */
  logSince?: Date;
  /** Only log lines from these sources. */
  logSources?: string[];
  /** Only log lines at this level or more severe. */
  logMinLevel?: string;
}

const listSchema = workspaceScopedListSchema({
  labels: labelsSchema.optional(),
  limit: z.number().int().min(0).max(1000, "at most 1000").optional(),
  offset: uint32Schema.optional(),
  signal: z.unknown().optional(),
  timeoutMs: z.number().int().positive().optional(),
});

/**
 * `os.sandboxes`: create, find, list, watch and remove sandboxes. Users speak in names; the service
 * resolves the gateway's ids for the calls that need them.
 */
export class SandboxService {
  /** @internal */
  readonly forwards: ForwardRegistry = new Set();

  /** @internal */
  /**
   * @internal `archives`: local mode's archive access for sandbox handles' files (see
   * `FilesTarget.archive`); absent for remote gateways.
   */
  constructor(
    private readonly calls: GatewayCalls,
    private readonly archives?: FilesArchiveProvider,
  ) {}

  /**
   * Creates a sandbox and returns its handle at once (phase `provisioning`); `await sb.ready()` waits
   * until it runs. `await using` deletes it when the scope ends.
   */
  async create(options: CreateSandboxOptions = {}, request?: RequestOptions): Promise<Sandbox> {
    const req = buildCreateSandboxRequest(options, this.calls.workspace);
    const res = await this.calls.unary(`create sandbox${req.name ? ` "${req.name}"` : ""}`, request, (o) =>
      this.calls.openshell.createSandbox(req, o),
    );
    return this.handleFor(toSandboxInfo(this.requireSandbox(res.sandbox, "CreateSandbox")));
  }

  /** The sandbox named `name`, with its current state. @throws NotFoundError */
  async get(name: string, options?: WorkspaceOptions & RequestOptions): Promise<Sandbox> {
    return this.handleFor(await this.info(name, options));
  }

  /** The current state of the sandbox named `name`. @throws NotFoundError */
  async info(name: string, options?: WorkspaceOptions & RequestOptions): Promise<SandboxInfo> {
    const sandboxName = this.checkName(name);
    const workspace = this.calls.ws(options);
    const res = await this.calls.unary(`get sandbox "${sandboxName}"`, options, (o) =>
      this.calls.openshell.getSandbox({ name: sandboxName, workspace }, o),
    );
    return toSandboxInfo(this.requireSandbox(res.sandbox, "GetSandbox"));
  }

  /** A handle for a sandbox by name, without asking the gateway anything yet. */
  handle(name: string, options?: WorkspaceOptions): Sandbox {
    return new Sandbox(
      this.calls,
      this,
      this.checkName(name),
      this.calls.ws(options),
      undefined,
      this.archives,
    );
  }

  /** One page of sandboxes. Use {@link listAll} to walk every page. */
  async list(options: ListSandboxesOptions = {}): Promise<SandboxInfo[]> {
    const o = validate(listSchema, options, "list options");
    const labelSelector = Object.entries(o.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const res = await this.calls.unary("list sandboxes", options, (co) =>
      this.calls.openshell.listSandboxes(
        {
          limit: o.limit ?? 0,
          offset: o.offset ?? 0,
          labelSelector,
          workspace: o.allWorkspaces ? "" : this.calls.ws(o),
          allWorkspaces: o.allWorkspaces ?? false,
        },
        co,
      ),
    );
    return res.sandboxes.map(toSandboxInfo);
  }

  /** Every matching sandbox, fetching pages of `limit` (default 100) as you iterate. */
  listAll(options: Omit<ListSandboxesOptions, "offset"> = {}): AsyncGenerator<SandboxInfo, void, undefined> {
    return allPages((o) => this.list(o), options);
  }

  /**
   * Asks the gateway to delete the sandbox. Returns once accepted: the sandbox goes `deleting` and
   * disappears later (see {@link deleted}). @throws NotFoundError when there is no such sandbox.
   */
  async delete(name: string, options?: WorkspaceOptions & RequestOptions): Promise<boolean> {
    const sandboxName = this.checkName(name);
    const workspace = this.calls.ws(options);
    const res = await this.calls.unary(`delete sandbox "${sandboxName}"`, options, (o) =>
      this.calls.openshell.deleteSandbox({ name: sandboxName, workspace }, o),
    );
    return res.deleted;
  }

  /** Stops a ready sandbox (keeps it, frees its compute). @throws FailedPreconditionError unless ready. */
  async stop(name: string, options?: WorkspaceOptions & RequestOptions): Promise<SandboxInfo> {
    const sandboxName = this.checkName(name);
    const workspace = this.calls.ws(options);
    const res = await this.calls.unary(`stop sandbox "${sandboxName}"`, options, (o) =>
      this.calls.openshell.stopSandbox({ name: sandboxName, workspace }, o),
    );
    return toSandboxInfo(this.requireSandbox(res.sandbox, "StopSandbox"));
  }

  /** Starts a stopped sandbox again. */
  async start(name: string, options?: WorkspaceOptions & RequestOptions): Promise<SandboxInfo> {
    const sandboxName = this.checkName(name);
    const workspace = this.calls.ws(options);
    const res = await this.calls.unary(`start sandbox "${sandboxName}"`, options, (o) =>
      this.calls.openshell.startSandbox({ name: sandboxName, workspace }, o),
    );
    return toSandboxInfo(this.requireSandbox(res.sandbox, "StartSandbox"));
  }

  /**
   * Follows a sandbox: a snapshot first, then every change. Ends when the sandbox is deleted; throws
   * when the connection fails.
   */
  async *watch(
    name: string,
    options: WatchSandboxOptions = {},
  ): AsyncGenerator<SandboxEvent, void, undefined> {
    validate(watchOptionsSchema, options, "watch options");
    const id = await this.resolveId(name, options);
    yield* this.watchById(name, id, options);
  }

  /** @internal Watch by a known id. */
  async *watchById(
    name: string,
    id: string,
    options: WatchSandboxOptions = {},
  ): AsyncGenerator<SandboxEvent, void, undefined> {
    const stream = this.calls.stream(
      `watch sandbox "${name}"`,
      options,
      (o) =>
        this.calls.openshell.watchSandbox(
          {
            id,
            followStatus: options.status ?? true,
            followLogs: options.logs ?? false,
            followEvents: options.events ?? false,
            logTailLines: options.logTailLines ?? 0,
            eventTail: options.eventTail ?? 0,
            stopOnTerminal: false,
            logSinceMs: BigInt(options.logSince?.getTime() ?? 0),
            logSources: options.logSources ?? [],
            logMinLevel: options.logMinLevel ?? "",
          },
          o,
        ),
      { firstMessageDue: true },
    );
    for await (const event of stream) {
      const converted = toSandboxEvent(event);
      if (converted) yield converted;
    }
  }

  /**
   * Waits until the sandbox is `ready`. Fails fast with SandboxFailedError (phase, reason, exit code)
   * when it reaches `error` or `completed` or disappears, and with TimeoutError after `timeoutMs` (default 5 min).
   */
  async ready(name: string, options: WaitOptions = {}): Promise<SandboxInfo> {
    const sandboxName = this.checkName(name);
    validate(waitOptionsSchema, options, "wait options");
    return waitForReady(this, sandboxName, await this.resolveId(sandboxName, options), options);
  }

  /**
   * Waits until the main process of the sandbox named `name` has finished and returns its exit code,
   * phase (`completed` for 0, `error` otherwise) and reason. See {@link Sandbox.wait}.
   */
  async wait(name: string, options: ResultWaitOptions = {}): Promise<SandboxResult> {
    const sandboxName = this.checkName(name);
    validate(waitOptionsSchema, options, "wait options");
    return waitForResult(this, sandboxName, await this.resolveId(sandboxName, options), options);
  }

  /** Waits until the sandbox is gone. Returns at once when it does not exist. */
  async deleted(name: string, options: WaitOptions = {}): Promise<void> {
    const sandboxName = this.checkName(name);
    validate(waitOptionsSchema, options, "wait options");
    let id: string;
    try {
      id = await this.resolveId(sandboxName, options);
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    await waitForDeleted(this, sandboxName, id, options);
  }

  /** The gateway's id of the sandbox named `name`. @throws NotFoundError */
  async resolveId(name: string, options?: WorkspaceOptions & RequestOptions): Promise<string> {
    return (await this.info(name, options)).id;
  }

  /** @internal Closes every port forward opened through this client. */
  closeForwards(): void {
    for (const forward of this.forwards) forward.close();
  }

  private handleFor(info: SandboxInfo): Sandbox {
    return new Sandbox(this.calls, this, info.name, info.workspace, info, this.archives);
  }

  private checkName(name: string): string {
    return validate(sandboxNameSchema, name, "sandbox name");
  }

  private requireSandbox<T>(sandbox: T | undefined, rpc: string): T {
    if (!sandbox) throw new ProtocolError(`${rpc}: the gateway answered without a sandbox`);
    return sandbox;
  }
}
