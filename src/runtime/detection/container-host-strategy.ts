import { envValue } from "./detection-context.js";
import { brokenProposal, type EngineStrategy, endpointProposal, PODMAN_ONLY } from "./engine-candidate.js";
import { isHostProblem, parseEngineHost, redactHost } from "./parse-engine-host.js";

/** CONTAINER_HOST, podman's remote variable (`unix://`, `tcp://`, `ssh://`; podman's tcp has no TLS). */
export const containerHostStrategy: EngineStrategy = async (ctx) => {
  const raw = envValue(ctx.env, "CONTAINER_HOST");
  if (raw === undefined) return [];
  const parsed = parseEngineHost(raw);
  if (isHostProblem(parsed)) {
    return [brokenProposal(PODMAN_ONLY, redactHost(raw), "CONTAINER_HOST", parsed.problem)];
  }
  return [endpointProposal(PODMAN_ONLY, parsed, "CONTAINER_HOST")];
};
