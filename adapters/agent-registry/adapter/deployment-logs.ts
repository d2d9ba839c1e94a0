import {
  InvalidArgumentError,
  NotFoundError,
  type OpenShell,
  type SandboxInfo,
  type SandboxLogLine,
} from "openshell";
import { type LogLine, MAX_TAIL_LINES } from "../resources/adapter-contract.js";
import { type Deployment, deploymentSchema } from "../resources/deployment.js";
import { parseOrThrow } from "../resources/parse.js";
import type { LogsRequest } from "./deployment-adapter.js";

/** All of a sandbox's history, as the gateway keeps it (its largest page). */
const ALL_LINES = 100_000;

/**
 * Which stream a line belongs to: the main process's stdout (INFO) and stderr (WARN and worse), as
 * the gateway labels them; the gateway's and the supervisor's own lines keep their source's name.
 */
export function streamOf(line: SandboxLogLine): string {
  const named = line.fields.stream;
  if (named === "stdout" || named === "stderr") return named;
  if (line.target === "main_process") return line.level === "INFO" ? "stdout" : "stderr";
  return line.source || "sandbox";
}

/** A gateway log line as the registry's `{ timestamp, stream, line }`. */
export function toRegistryLogLine(line: SandboxLogLine): LogLine {
  return { timestamp: line.timestamp.toISOString(), stream: streamOf(line), line: line.message };
}

function tailOf(tailLines: unknown): number {
  if (tailLines === undefined) return ALL_LINES;
  if (
    typeof tailLines !== "number" ||
    !Number.isInteger(tailLines) ||
    tailLines < 0 ||
    tailLines > MAX_TAIL_LINES
  ) {
    throw new InvalidArgumentError(
      `invalid tailLines: must be a whole number from 0 (all) to ${MAX_TAIL_LINES}`,
      {
        field: "tailLines",
      },
    );
  }
  return tailLines === 0 ? ALL_LINES : tailLines;
}

/**
 * A deployment's logs, found by its sandbox's labels (so any adapter instance can read them):
 * the last `tailLines`, then with `follow` new lines until `signal` fires or the sandbox goes.
 */
export async function* readDeploymentLogs(
  client: OpenShell,
  request: LogsRequest,
  find: (deployment: Deployment, signal?: AbortSignal) => Promise<SandboxInfo | undefined>,
): AsyncGenerator<LogLine, void, undefined> {
  if (typeof request !== "object" || request === null) {
    throw new InvalidArgumentError("invalid request: must be an object { deployment, follow, tailLines }", {
      field: "request",
    });
  }
  const deployment = parseOrThrow(deploymentSchema, request.deployment, "deployment");
  const lines = tailOf(request.tailLines);
  if (request.follow !== undefined && typeof request.follow !== "boolean") {
    throw new InvalidArgumentError("invalid follow: must be true or false", { field: "follow" });
  }
  const signal = request.signal;
  const sandbox = await find(deployment, signal);
  if (sandbox === undefined) {
    throw new NotFoundError(
      `deployment "${deployment.metadata.name}" has no sandbox on this gateway, so it has no logs: apply it first`,
    );
  }
  const handle = client.sandboxes.handle(sandbox.name);
  if (request.follow === true) {
    for await (const line of handle.logs({ follow: true, lines, ...(signal ? { signal } : {}) })) {
      yield toRegistryLogLine(line);
    }
    return;
  }
  for (const line of await handle.logs({ lines, ...(signal ? { signal } : {}) }))
    yield toRegistryLogLine(line);
}
