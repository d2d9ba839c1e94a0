import { existsSync } from "node:fs";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { leftovers } from "../integration/local/local-gateway-support.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../support/test-engines.js";

/**
 * The variables by which a program finds an engine as a user's program does: the one its CLI
 * reads (DOCKER_HOST, CONTAINER_HOST) pointing at the test engine.
 */
export function engineEnv(kind: "docker" | "podman"): Record<string, string> {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const host =
    endpoint.kind === "unix" ? `unix://${endpoint.socketPath}` : `tcp://${endpoint.host}:${endpoint.port}`;
  return kind === "docker" ? { DOCKER_HOST: host } : { CONTAINER_HOST: host };
}

/**
 * What a program's local gateway left behind, found by the line it prints (`gateway <id>, state in
 * <dir>`): its containers, networks and volumes on the engine, and its state directory.
 */
export async function gatewayLeftBehind(kind: "docker" | "podman", stdout: string): Promise<string[]> {
  const started = /gateway ([0-9a-f]+), state in (\S+)\n/.exec(stdout);
  if (started === null) throw new Error(`the program did not print its gateway:\n${stdout}`);
  const [, gatewayId = "", stateDir = ""] = started;
  const runtime = await createRuntime({
    runtime: kind,
    endpoint: kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint,
  });
  try {
    const left = await leftovers(runtime, gatewayId);
    return existsSync(stateDir) ? [...left, `state directory ${stateDir}`] : left;
  } finally {
    await runtime.close();
  }
}
