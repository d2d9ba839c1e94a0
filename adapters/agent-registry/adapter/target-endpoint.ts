import type { ApplyInput } from "../resources/apply-input.js";
import { invalidField } from "../resources/parse.js";

/** The path of an A2A agent card. */
export const A2A_CARD_PATH = "/.well-known/agent-card.json";

/** How a deployed target is reached and probed, and what its package adds to its environment and command. */
export interface TargetEndpoint {
  port: number;
  /** `A2A` (probed at its agent card) or `HTTP` (any answer below 500 counts). */
  protocol: "A2A" | "HTTP";
  /** The path probed. */
  path: string;
  /** Non-secret variables the target's package declares (value, else default). */
  env: Record<string, string>;
  /** The package's arguments, appended to the image's own command. */
  args: string[];
}

/**
 * Where and how the target listens. An Agent speaks its `source.protocol` (A2A unless it says
 * HTTP) on `runtimeConfig.port` (else `defaultPort`). An MCPServer speaks HTTP on the port and path
 * of its package's transport URL (`runtimeConfig.port` and `healthPath` win); a stdio MCP server is
 * refused, since a sandbox's main process has no client on its stdin.
 *
 * @throws InvalidArgumentError naming `target.spec.source.package.transport.type` for a stdio MCP server.
 */
export function targetEndpoint(input: ApplyInput, defaultPort: number): TargetEndpoint {
  const { target, config } = input;
  if (target.kind === "Agent") {
    const protocol = target.spec.source?.protocol ?? "A2A";
    return {
      port: config.port ?? defaultPort,
      protocol,
      path: protocol === "A2A" ? A2A_CARD_PATH : (config.healthPath ?? "/"),
      env: {},
      args: [],
    };
  }
  const pkg = target.spec.source?.package;
  const transport = pkg?.transport;
  if (transport?.type === "stdio") {
    invalidField(
      "target.spec.source.package.transport.type",
      `is "stdio": MCPServer "${target.metadata.name}" is spoken to on its process's stdin, which a sandbox's ` +
        "main process does not have; deploy its streamable-http or sse variant",
    );
  }
  const url = parseUrl(transport?.url);
  const urlPort = url?.port ? Number(url.port) : undefined;
  const env: Record<string, string> = {};
  for (const variable of pkg?.environmentVariables ?? []) {
    const value = variable.value ?? variable.default;
    if (value !== undefined && variable.isSecret !== true) env[variable.name] = value;
  }
  const args: string[] = [];
  for (const argument of pkg?.packageArguments ?? []) {
    const value = argument.value ?? argument.default;
    if (argument.type === "named" && argument.name) args.push(argument.name);
    if (value !== undefined) args.push(value);
  }
  return {
    port: config.port ?? urlPort ?? defaultPort,
    protocol: "HTTP",
    path: config.healthPath ?? (url?.pathname || "/"),
    env,
    args,
  };
}

/** A transport URL, which may hold `{placeholders}` the registry fills in: only its port and path are used. */
function parseUrl(value: string | undefined): URL | undefined {
  if (value === undefined || value === "") return undefined;
  try {
    return new URL(value.replace(/\{[^}]*\}/g, "x"));
  } catch {
    return undefined;
  }
}
