import { ProtocolError } from "openshell";
import type { z } from "zod";
import { type Agent, agentSchema } from "../resources/agent.js";
import { type Deployment, deploymentSchema } from "../resources/deployment.js";
import { type Model, modelSchema } from "../resources/model.js";
import { type Runtime, runtimeSchema } from "../resources/runtime.js";
import type { RegistryResourceId } from "./errors.js";
import { deploymentLogsSchema, deploymentPageSchema, type RegistryLogLine } from "./registry-answers.js";
import {
  type DeploymentLogsOptions,
  type GetOptions,
  type GetTaggedOptions,
  getSchema,
  getTaggedSchema,
  type ListDeploymentsOptions,
  listDeploymentsSchema,
  logsSchema,
  parseInput,
  parseName,
} from "./registry-inputs.js";
import {
  type RegistryClientOptions,
  type ResolvedRegistryOptions,
  resolveRegistryOptions,
} from "./registry-options.js";
import { type RegistryGet, registryGet, validateAnswer } from "./registry-request.js";

/** A page of deployments. */
export interface DeploymentPage {
  items: Deployment[];
  /** Pass it as `cursor` for the next page; `undefined` on the last page. */
  nextCursor: string | undefined;
}

/**
 * A typed client of the agent registry's REST API (`/v0`): reads agents, models, runtimes,
 * deployments and deployment logs, and validates every answer with the adapter's schemas. It finds
 * the registry as `arctl` does (`ARCTL_API_BASE_URL`, default `http://localhost:12121`; bearer token
 * `ARCTL_API_TOKEN`). Errors: {@link RegistryNotFoundError} (404), {@link RegistryError} (other HTTP
 * errors), {@link RegistryUnreachableError}, {@link RegistryResponseError} (an invalid answer),
 * `TimeoutError`, `CanceledError`, and `InvalidArgumentError` for bad input, before any request.
 *
 * ```ts
 * const registry = new RegistryClient();
 * const deployment = await registry.getDeployment("echo");
 * const agent = await registry.getAgent(deployment.spec.targetRef.name, { tag: deployment.spec.targetRef.tag });
 * for await (const d of registry.listAllDeployments({ origin: "managed" })) console.log(d.metadata.name);
 * ```
 */
export class RegistryClient {
  /** Where the registry is (`http://localhost:12121`); the API is under `${baseUrl}/v0`. */
  readonly baseUrl: string;
  readonly #settings: ResolvedRegistryOptions;
  // A private field: not enumerable, not in JSON.stringify or util.inspect.
  readonly #token: string | undefined;

  constructor(options: RegistryClientOptions = {}) {
    const { token, ...settings } = resolveRegistryOptions(options);
    this.#settings = { ...settings, token: undefined };
    this.#token = token;
    this.baseUrl = settings.baseUrl;
  }

  /** Whether a bearer token is sent (the token itself is never shown). */
  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /** An Agent, at `tag` or the latest. */
  async getAgent(name: string, options: GetTaggedOptions = {}): Promise<Agent> {
    return this.#getTagged("getAgent", "Agent", "agents", agentSchema, name, options);
  }

  /** A Model, at `tag` or the latest. */
  async getModel(name: string, options: GetTaggedOptions = {}): Promise<Model> {
    return this.#getTagged("getModel", "Model", "models", modelSchema, name, options);
  }

  /** A Runtime. */
  async getRuntime(name: string, options: GetOptions = {}): Promise<Runtime> {
    const checked = parseName(name, "getRuntime");
    const input = parseInput(getSchema, options, "getRuntime");
    return this.#getOne(runtimeSchema, "a Runtime", {
      path: `/v0/runtimes/${encodeURIComponent(checked)}`,
      query: namespaceQuery(input.namespace),
      resource: { kind: "Runtime", name: checked, tag: undefined, namespace: input.namespace },
      ...common(input),
    });
  }

  /** A Deployment, with its status (conditions) and annotations as the registry stores them. */
  async getDeployment(name: string, options: GetOptions = {}): Promise<Deployment> {
    const checked = parseName(name, "getDeployment");
    const input = parseInput(getSchema, options, "getDeployment");
    return this.#getOne(deploymentSchema, "a Deployment", {
      path: `/v0/deployments/${encodeURIComponent(checked)}`,
      query: namespaceQuery(input.namespace),
      resource: { kind: "Deployment", name: checked, tag: undefined, namespace: input.namespace },
      ...common(input),
    });
  }

  /** One page of deployments; pass `nextCursor` back as `cursor` for the next one. */
  async listDeployments(options: ListDeploymentsOptions = {}): Promise<DeploymentPage> {
    const input = parseInput(listDeploymentsSchema, options, "listDeployments");
    const query = namespaceQuery(input.namespace);
    if (input.limit !== undefined) query.set("limit", String(input.limit));
    if (input.cursor !== undefined) query.set("cursor", input.cursor);
    if (input.labels !== undefined && Object.keys(input.labels).length > 0) {
      query.set(
        "labels",
        Object.entries(input.labels)
          .map(([key, value]) => `${key}=${value}`)
          .join(","),
      );
    }
    if (input.origin !== undefined) query.set("origin", input.origin);
    const { body, context } = await registryGet(this.#settings, this.#token, {
      path: "/v0/deployments",
      query,
      ...common(input),
    });
    const page = validateAnswer(deploymentPageSchema, body, context, "a deployment list");
    return {
      items: page.items ?? [],
      nextCursor: page.nextCursor === undefined || page.nextCursor === "" ? undefined : page.nextCursor,
    };
  }

  /**
   * Every deployment, page after page (`limit` per request), from the first page or from `cursor`.
   * Stops at the last page; a registry that hands back a cursor it already gave ends the iteration
   * with a `ProtocolError`, not a loop. Breaking out of the loop sends no further request.
   */
  async *listAllDeployments(options: ListDeploymentsOptions = {}): AsyncGenerator<Deployment> {
    parseInput(listDeploymentsSchema, options, "listAllDeployments");
    const seen = new Set<string>();
    let cursor = options.cursor;
    do {
      const page = await this.listDeployments({ ...options, cursor });
      yield* page.items;
      cursor = page.nextCursor;
      if (cursor !== undefined) {
        if (seen.has(cursor)) {
          throw new ProtocolError(
            `the agent registry at ${this.baseUrl} answered GET /v0/deployments with a nextCursor it had ` +
              "already given: stopped listing instead of looping. Report this to the registry's maintainers.",
          );
        }
        seen.add(cursor);
      }
    } while (cursor !== undefined);
  }

  /**
   * A deployment's last log lines, as the registry reads them through the runtime's adapter
   * (`GET /v0/deployments/{name}/logs`). The registry does not follow logs over REST.
   */
  async getDeploymentLogs(name: string, options: DeploymentLogsOptions = {}): Promise<RegistryLogLine[]> {
    const checked = parseName(name, "getDeploymentLogs");
    const input = parseInput(logsSchema, options, "getDeploymentLogs");
    const query = namespaceQuery(input.namespace);
    if (input.tailLines !== undefined) query.set("tailLines", String(input.tailLines));
    const { body, context } = await registryGet(this.#settings, this.#token, {
      path: `/v0/deployments/${encodeURIComponent(checked)}/logs`,
      query,
      resource: { kind: "Deployment", name: checked, tag: undefined, namespace: input.namespace },
      ...common(input),
    });
    return validateAnswer(deploymentLogsSchema, body, context, "deployment logs").lines ?? [];
  }

  /** `RegistryClient(http://host:port, token set)`: never the token. */
  toString(): string {
    return `RegistryClient(${this.baseUrl}${this.#token === undefined ? "" : ", token set"})`;
  }

  /** What `console.log` and `util.inspect` show: the address, and whether a token is set. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  async #getTagged<S extends z.ZodType>(
    method: string,
    kind: RegistryResourceId["kind"],
    plural: string,
    schema: S,
    name: string,
    options: GetTaggedOptions,
  ): Promise<z.output<S>> {
    const checked = parseName(name, method);
    const input = parseInput(getTaggedSchema, options, method);
    const tagPath = input.tag === undefined ? "" : `/${encodeURIComponent(input.tag)}`;
    return this.#getOne(schema, `${kind === "Agent" ? "an" : "a"} ${kind}`, {
      path: `/v0/${plural}/${encodeURIComponent(checked)}${tagPath}`,
      query: namespaceQuery(input.namespace),
      resource: { kind, name: checked, tag: input.tag, namespace: input.namespace },
      ...common(input),
    });
  }

  async #getOne<S extends z.ZodType>(schema: S, what: string, call: RegistryGet): Promise<z.output<S>> {
    const { body, context } = await registryGet(this.#settings, this.#token, call);
    return validateAnswer(schema, body, context, what);
  }
}

// The registry's single-resource routes take the namespace as a query parameter.
function namespaceQuery(namespace: string | undefined): URLSearchParams {
  const query = new URLSearchParams();
  if (namespace !== undefined) query.set("namespace", namespace);
  return query;
}

function common(input: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined }): {
  signal: AbortSignal | undefined;
  timeoutMs: number | undefined;
} {
  return { signal: input.signal, timeoutMs: input.timeoutMs };
}
