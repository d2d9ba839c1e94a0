import type { Message, Task } from "@a2a-js/sdk";
import { CanceledError, NotFoundError, type OpenShell, type SandboxInfo } from "openshell";
import { desiredFingerprint, type FingerprintInput } from "../fingerprint.js";
import { prepareSandboxModelAccess, removeSandboxModelAccess } from "../model/sandbox-model-access.js";
import { deploymentKey, deploymentSelector, identityFromLabels } from "../naming/identity.js";
import { sandboxNameFor } from "../naming/sandbox-name.js";
import type {
  AdapterApplyResult,
  AdapterRemoveResult,
  DiscoveredTarget,
  LogLine,
} from "../resources/adapter-contract.js";
import {
  type ApplyInput,
  OPENSHELL_RUNTIME_TYPE,
  parseApplyInput,
  parseRemoveInput,
  SUPPORTED_TARGET_KINDS,
} from "../resources/apply-input.js";
import { type Deployment, deploymentSchema } from "../resources/deployment.js";
import { namespaceOf } from "../resources/meta.js";
import { gatewaySelection, openShellRuntimeConfigSchema } from "../resources/openshell-config.js";
import { invalidField, parseOrThrow } from "../resources/parse.js";
import { runtimeSchema } from "../resources/runtime.js";
import { adapterOptionsSchema, type OpenShellDeploymentAdapterOptions } from "./adapter-options.js";
import { AgentConnections } from "./agent-connections.js";
import { deploySandbox, type PrepareModelAccess, removeSandbox } from "./deploy-sandbox.js";
import type {
  AdapterCallOptions,
  DeploymentAdapter,
  DeploymentStatus,
  LogsRequest,
} from "./deployment-adapter.js";
import { readDeploymentLogs } from "./deployment-logs.js";
import { DeploymentRecord } from "./deployment-record.js";
import { applyResult, isDegraded, progressing, removed, removeResult } from "./deployment-status.js";
import { followDeployment } from "./follow-deployment.js";
import { checkGateway, describeClient } from "./gateway-match.js";
import { agentFromLabels, fingerprintLabel, isManaged, SANDBOX_LABELS } from "./sandbox-labels.js";
import { A2A_CARD_PATH, type TargetEndpoint, targetEndpoint } from "./target-endpoint.js";

/**
 * Deploys agent-registry Deployments (Agents and MCP servers) onto OpenShell sandboxes, the
 * registry's `DeploymentAdapter` contract over any `OpenShell` client: a remote gateway or the
 * embedded local mode. `apply` answers at once with `Progressing` and converges in the background;
 * `watch` follows it; everything it makes is labelled, so a new instance (after a crash) finds,
 * follows, streams the logs of and removes what an earlier one made, with no local state.
 *
 * ```ts
 * const os = await OpenShell.local();
 * const adapter = new OpenShellDeploymentAdapter({ client: os });
 * const { conditions } = await adapter.apply({ deployment, target: agent, runtime });
 * for await (const status of adapter.watch(deployment)) if (isReady(status)) break;
 * const reply = await adapter.invoke(deployment, "hello");
 * await adapter.remove({ deployment, runtime });
 * ```
 */
export class OpenShellDeploymentAdapter implements DeploymentAdapter, AsyncDisposable {
  private readonly client: OpenShell;
  private readonly options: OpenShellDeploymentAdapterOptions;
  private readonly records = new Map<string, DeploymentRecord>();
  private readonly prepare: PrepareModelAccess;
  private readonly connections: AgentConnections;

  /** @throws InvalidArgumentError naming the option when `options` are wrong. */
  constructor(options: OpenShellDeploymentAdapterOptions) {
    this.options = parseOrThrow(
      adapterOptionsSchema,
      options,
      "options",
    ) as OpenShellDeploymentAdapterOptions;
    this.client = this.options.client;
    this.connections = new AgentConnections(this.client);
    const sources = {
      client: this.client,
      env: this.options.env ?? process.env,
      ...(this.options.resolveModel ? { resolveModel: this.options.resolveModel } : {}),
    };
    this.prepare =
      this.options.prepareModelAccess ??
      ((input, signal) => prepareSandboxModelAccess(sources, input, signal));
  }

  /** `"OpenShell"`: the `Runtime.spec.type` this adapter serves. */
  type(): string {
    return OPENSHELL_RUNTIME_TYPE;
  }

  /** `["Agent", "MCPServer"]`. */
  supportedTargetKinds(): string[] {
    return [...SUPPORTED_TARGET_KINDS];
  }

  /**
   * A SHA-256 of everything in `{ deployment, target, runtime, model? }` that shapes the sandbox,
   * stable across key order and registry bookkeeping: the registry re-applies only when it changes.
   */
  desiredFingerprint(input: unknown): string {
    return desiredFingerprint(input as FingerprintInput);
  }

  /**
   * Starts deploying and answers at once (no gateway call on the way) with `Progressing=True`, the
   * sandbox's name in `runtimeMetadata`, and `details`. The deploy goes on in the background; follow
   * it with {@link watch}. Applying the same input again changes nothing (unless the deployment is
   * `Degraded`: then it is deployed again); a changed input replaces the sandbox;
   * `desiredState: "undeployed"` removes it.
   *
   * @throws InvalidArgumentError naming the field when the input is not a valid apply request or its
   *   Runtime names another gateway; nothing is created.
   */
  async apply(input: unknown, options: AdapterCallOptions = {}): Promise<AdapterApplyResult> {
    const parsed = parseApplyInput(input);
    checkGateway(this.client, parsed.gateway);
    if (options.signal?.aborted) throw new CanceledError("apply: canceled before it started");
    if (parsed.deployment.spec.desiredState === "undeployed") {
      const { conditions } = await this.remove(input, options);
      return { conditions, runtimeMetadata: {}, details: { desiredState: "undeployed" } };
    }
    const endpoint = targetEndpoint(parsed, this.options.defaultPort ?? 8080);
    const fingerprint = fingerprintLabel(desiredFingerprint(input as FingerprintInput));
    const key = recordKey(parsed.deployment);
    const previous = this.records.get(key);
    if (
      previous &&
      !previous.controller.signal.aborted &&
      previous.fingerprint === fingerprint &&
      !isDegraded(previous.status)
    ) {
      return applyResult(previous.status, previous.details);
    }
    const record = this.startDeploy(parsed, endpoint, fingerprint, previous);
    this.records.set(key, record);
    return applyResult(record.status, record.details);
  }

  /**
   * Removes the deployment's sandbox (and the model provider made for it), cancelling a deploy in
   * flight first. Idempotent: nothing to remove is success. Answers `Ready=False` reason `Removed`.
   *
   * @throws InvalidArgumentError naming the field for a bad request.
   * @throws CanceledError when `signal` fires (what is removed stays removed; apply or remove again).
   */
  async remove(input: unknown, options: AdapterCallOptions = {}): Promise<AdapterRemoveResult> {
    const parsed = parseRemoveInput(input);
    checkGateway(this.client, parsed.gateway);
    const { signal } = options;
    const key = recordKey(parsed.deployment);
    this.connections.close(key);
    const record = this.records.get(key);
    if (record) {
      record.update((c) => progressing(c, "Removing", `removing sandbox "${record.sandboxName}"`));
      record.controller.abort();
      await record.settled;
    }
    const sandboxes = await this.client.sandboxes.list({
      labels: deploymentSelector(parsed.deployment),
      ...(signal ? { signal } : {}),
    });
    for (const sandbox of sandboxes) await removeSandbox(this.client, sandbox.name, signal);
    await removeSandboxModelAccess(this.client, parsed.deployment, signal);
    const message =
      sandboxes.length === 0
        ? "nothing was deployed"
        : `sandbox ${sandboxes.map((s) => `"${s.name}"`).join(", ")} removed`;
    const conditions = removed([], message);
    if (record && this.records.get(key) === record) {
      record.end((c) => removed(c, message));
      this.records.delete(key);
    }
    return removeResult(conditions);
  }

  /**
   * The deployment's log lines (`{ timestamp, stream, line }`), oldest first: the last `tailLines`
   * (0 or omitted: all), then with `follow` every new line until `signal` fires or the sandbox goes.
   *
   * @throws NotFoundError when the deployment has no sandbox on the gateway.
   */
  logs(request: LogsRequest): AsyncIterable<LogLine> {
    return readDeploymentLogs(this.client, request, (deployment, signal) =>
      this.findSandbox(deployment, signal),
    );
  }

  /** Sandboxes on the gateway that this adapter did not make: candidates for the registry to adopt. */
  async discover(input: unknown, options: AdapterCallOptions = {}): Promise<DiscoveredTarget[]> {
    const raw = (input ?? {}) as { runtime?: unknown };
    if (typeof input !== "object" || input === null) invalidField("input", "must be an object { runtime }");
    const runtime = parseOrThrow(runtimeSchema, raw.runtime, "runtime");
    if (runtime.spec.type !== OPENSHELL_RUNTIME_TYPE) {
      invalidField(
        "runtime.spec.type",
        `is "${runtime.spec.type}"; this adapter serves "${OPENSHELL_RUNTIME_TYPE}"`,
      );
    }
    checkGateway(
      this.client,
      gatewaySelection(
        parseOrThrow(openShellRuntimeConfigSchema, runtime.spec.config ?? {}, "runtime.spec.config"),
      ),
    );
    const found: DiscoveredTarget[] = [];
    for await (const sandbox of this.client.sandboxes.listAll(
      options.signal ? { signal: options.signal } : {},
    )) {
      if (isManaged(sandbox.labels) || sandbox.phase === "deleting") continue;
      found.push({
        targetKind: "Agent",
        namespace: "default",
        name: sandbox.name,
        runtimeMetadata: {
          sandboxName: sandbox.name,
          sandboxId: sandbox.id,
          workspace: sandbox.workspace,
          image: sandbox.image,
          phase: sandbox.phase,
        },
      });
    }
    return found;
  }

  /**
   * The deployment's status now, then each change (conditions and runtime metadata), until `signal`
   * fires or the deployment is removed; when a changed spec replaces the sandbox, the same watch goes
   * on with the new one. Built on the gateway's sandbox watch stream, not polling.
   * A deployment another adapter instance made is adopted and followed; one that is not deployed
   * yields `Ready=False` reason `NotDeployed` and ends.
   */
  async *watch(
    deployment: unknown,
    options: AdapterCallOptions = {},
  ): AsyncGenerator<DeploymentStatus, void, undefined> {
    const parsed = parseOrThrow(deploymentSchema, deployment, "deployment");
    const key = recordKey(parsed);
    let record = this.records.get(key);
    if (record === undefined) {
      const sandbox = await this.findSandbox(parsed, options.signal);
      if (sandbox === undefined) {
        yield {
          conditions: removed([], "not deployed").map((c) => ({ ...c, reason: "NotDeployed" })),
          runtimeMetadata: {},
        };
        return;
      }
      record = this.records.get(key) ?? this.adopt(parsed, sandbox);
    }
    // A changed spec replaces the record: the watch goes on with the new one. Removed or closed: it ends.
    while (record !== undefined && !options.signal?.aborted) {
      yield* record.watch(options.signal);
      const next = this.records.get(key);
      record = next !== record ? next : undefined;
    }
  }

  /**
   * Sends `message` to the deployment's A2A agent through a port forward and returns its reply. The
   * connection (a forward and the agent's card) stays open for the next invocation of the same
   * deployment; it is closed on remove, when the sandbox is replaced, when the agent cannot be
   * reached (the next call connects again) and on `close()`.
   *
   * @throws NotFoundError when the deployment has no sandbox.
   * @throws AgentUnreachableError, AgentCardError, AgentCallError from `openshell/adapters/a2a`.
   */
  async invoke(
    deployment: unknown,
    message: string | Message,
    options: AdapterCallOptions = {},
  ): Promise<Message | Task> {
    const parsed = parseOrThrow(deploymentSchema, deployment, "deployment");
    const sandbox = await this.findSandbox(parsed, options.signal);
    if (sandbox === undefined) throw notDeployed(parsed);
    const agent = agentFromLabels(sandbox.labels);
    if (agent === undefined || agent.protocol !== "A2A") {
      throw new NotFoundError(
        `deployment "${parsed.metadata.name}" does not run an A2A agent (its sandbox says protocol ${sandbox.labels[SANDBOX_LABELS.protocol] ?? "unknown"})`,
      );
    }
    return this.connections.send(recordKey(parsed), sandbox, agent.port, message, options.signal);
  }

  /**
   * Stops following every deployment (their sandboxes keep running: a new adapter finds them) and
   * ends every watch.
   */
  async close(): Promise<void> {
    const records = [...this.records.values()];
    this.records.clear();
    for (const record of records) record.end();
    await Promise.all([...records.map((record) => record.settled), this.connections.closeAll()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Starts a deploy in the background once the one it replaces has stopped. */
  private startDeploy(
    input: ApplyInput,
    endpoint: TargetEndpoint,
    fingerprint: string,
    previous: DeploymentRecord | undefined,
  ): DeploymentRecord {
    const sandboxName = sandboxNameFor(input.deployment);
    const { port, protocol, path } = endpoint;
    const readinessTimeoutMs =
      input.config.readinessTimeoutSeconds !== undefined
        ? input.config.readinessTimeoutSeconds * 1000
        : (this.options.readinessTimeoutMs ?? 300_000);
    const metadata = {
      sandboxName,
      gateway: describeClient(this.client),
      workspace: this.client.workspace,
      port: String(port),
      protocol,
    };
    const details = { sandbox: sandboxName, image: input.image, port, protocol, fingerprint };
    const record = new DeploymentRecord(
      fingerprint,
      sandboxName,
      details,
      progressing(
        [],
        "Deploying",
        `deploying ${input.target.kind} "${input.target.metadata.name}" to sandbox "${sandboxName}"`,
      ),
      metadata,
    );
    previous?.end();
    const agent = { port, protocol, path, readinessTimeoutMs } as const;
    record.settled = (async () => {
      await previous?.settled;
      await deploySandbox({
        client: this.client,
        input,
        record,
        agent,
        defaultEnv: { ...defaultEnv(input, port), ...endpoint.env },
        extraArgs: endpoint.args,
        prepareModelAccess: this.prepare,
        callTimeoutMs: this.options.callTimeoutMs ?? 60_000,
      });
    })().catch(() => undefined);
    return record;
  }

  /** Follows a sandbox an earlier adapter instance made, from its labels alone. */
  private adopt(deployment: Deployment, sandbox: SandboxInfo): DeploymentRecord {
    const agent = agentFromLabels(sandbox.labels) ?? {
      port: this.options.defaultPort ?? 8080,
      protocol: "A2A" as const,
    };
    const record = new DeploymentRecord(
      sandbox.labels[SANDBOX_LABELS.fingerprint] ?? "",
      sandbox.name,
      { sandbox: sandbox.name, image: sandbox.image, port: agent.port, protocol: agent.protocol },
      progressing(
        [],
        "WaitingForSandbox",
        `following sandbox "${sandbox.name}", made earlier for this deployment`,
      ),
      {
        sandboxName: sandbox.name,
        sandboxId: sandbox.id,
        gateway: describeClient(this.client),
        workspace: this.client.workspace,
        port: String(agent.port),
        protocol: agent.protocol,
      },
    );
    const path = agent.protocol === "A2A" ? A2A_CARD_PATH : "/";
    record.settled = followDeployment(this.client, record, {
      ...agent,
      path,
      readinessTimeoutMs: this.options.readinessTimeoutMs ?? 300_000,
    }).catch(() => undefined);
    this.records.set(recordKey(deployment), record);
    return record;
  }

  /** The deployment's sandbox on the gateway (found by its labels), if it has one. */
  private async findSandbox(deployment: Deployment, signal?: AbortSignal): Promise<SandboxInfo | undefined> {
    const sandboxes = await this.client.sandboxes.list({
      labels: deploymentSelector(deployment),
      ...(signal ? { signal } : {}),
    });
    const live = sandboxes.filter(
      (s) => s.phase !== "deleting" && identityFromLabels(s.labels) !== undefined,
    );
    return live.find((s) => s.name === sandboxNameFor(deployment)) ?? live[0];
  }
}

function recordKey(deployment: Deployment): string {
  return deploymentKey({
    namespace: namespaceOf(deployment.metadata),
    deploymentName: deployment.metadata.name,
  });
}

function notDeployed(deployment: Deployment): NotFoundError {
  return new NotFoundError(
    `deployment "${deployment.metadata.name}" has no sandbox on this gateway: apply it first (or it was removed)`,
  );
}

/**
 * What every agent gets, under the deployment's own `env`: its name (as kagent-adk agents, which the
 * registry's tooling scaffolds, read it) and the port to listen on.
 */
function defaultEnv(input: ApplyInput, port: number): Record<string, string> {
  return {
    AGENT_NAME: input.target.metadata.name,
    KAGENT_NAME: input.target.metadata.name,
    KAGENT_NAMESPACE: namespaceOf(input.deployment.metadata),
    PORT: String(port),
  };
}

export { notDeployed };
