import type { Message, Task } from "@a2a-js/sdk";
import type {
  AdapterApplyResult,
  AdapterRemoveResult,
  DiscoveredTarget,
  LogLine,
} from "../resources/adapter-contract.js";
import type { Condition } from "../resources/condition.js";

/** Options every adapter call takes. */
export interface AdapterCallOptions {
  /** Cancels the call; what it already made is removed or left as it was before the call. */
  signal?: AbortSignal;
}

/** A logs request: the registry's `{ deployment, follow, tailLines }`. */
export interface LogsRequest {
  /** The Deployment whose logs to read (only its metadata is used). */
  deployment: unknown;
  /** Keep streaming new lines until `signal` fires or the sandbox goes away. */
  follow?: boolean;
  /** How many recent lines first; 0 or omitted means all (capped at 10000, as the registry does). */
  tailLines?: number;
  /** Ends the stream. */
  signal?: AbortSignal;
}

/** What `watch` yields: a deployment's status each time it changes. */
export interface DeploymentStatus {
  /** The conditions (`Progressing`, `Ready`, `Degraded`), as `apply` returned them. */
  conditions: Condition[];
  /** What the registry stores as `runtimes.agentregistry.solo.io/OpenShell/*` annotations. */
  runtimeMetadata: Record<string, string>;
}

/**
 * The agent registry's deployment adapter contract (its `DeploymentAdapter`), as the TypeScript
 * adapter and its HTTP service (`serveAdapter`) implement it. Inputs are the registry's JSON
 * shapes, validated by the adapter (`unknown` here so that JSON from a wire can be passed as is).
 */
export interface DeploymentAdapter {
  /** The `Runtime.spec.type` served: `"OpenShell"`. */
  type(): string;
  /** The target kinds deployed: `["Agent", "MCPServer"]`. */
  supportedTargetKinds(): string[];
  /** Starts deploying `{ deployment, target, runtime }` and answers at once with `Progressing`. */
  apply(input: unknown, options?: AdapterCallOptions): Promise<AdapterApplyResult>;
  /** Removes `{ deployment, runtime }`'s sandbox, cancelling a deploy in flight. Idempotent. */
  remove(input: unknown, options?: AdapterCallOptions): Promise<AdapterRemoveResult>;
  /** The deployment's log lines, oldest first; with `follow`, new ones as they come. */
  logs(request: LogsRequest): AsyncIterable<LogLine>;
  /** What runs on `{ runtime }`'s gateway that no registry deployment made. */
  discover(input: unknown, options?: AdapterCallOptions): Promise<DiscoveredTarget[]>;
  /** A hash of everything in `{ deployment, target, runtime }` that shapes the sandbox. */
  desiredFingerprint(input: unknown): string;
  /** The deployment's status now, then each change, until `signal` fires or it is removed. */
  watch(deployment: unknown, options?: AdapterCallOptions): AsyncIterable<DeploymentStatus>;
  /** Sends `message` to the deployed A2A agent and returns its reply (a Message or a Task). */
  invoke(
    deployment: unknown,
    message: string | Message,
    options?: AdapterCallOptions,
  ): Promise<Message | Task>;
}
