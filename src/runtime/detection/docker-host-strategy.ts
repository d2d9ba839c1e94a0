import type { EngineTls } from "../engine-endpoint.js";
import { type DetectionContext, envValue, pathsFor } from "./detection-context.js";
import { brokenProposal, EITHER_ENGINE, type EngineStrategy, endpointProposal } from "./engine-candidate.js";
import { isHostProblem, parseEngineHost, redactHost } from "./parse-engine-host.js";

/**
 * TLS for DOCKER_HOST=tcp://, read the way docker's own tools read it: DOCKER_TLS_VERIFY set to
 * anything (docker does not read "0" as off) turns TLS on with verification, taking ca.pem, cert.pem
 * and key.pem from DOCKER_CERT_PATH or else ~/.docker; DOCKER_CERT_PATH alone turns TLS on without
 * verifying the engine's certificate, as docker's Go client does.
 */
export function dockerEnvTls(ctx: DetectionContext): EngineTls | undefined {
  const verify = envValue(ctx.env, "DOCKER_TLS_VERIFY") !== undefined;
  const certPath = envValue(ctx.env, "DOCKER_CERT_PATH");
  if (!verify && certPath === undefined) return undefined;
  const paths = pathsFor(ctx.platform);
  const dir = certPath ?? paths.join(ctx.homedir, ".docker");
  return {
    caFile: paths.join(dir, "ca.pem"),
    certFile: paths.join(dir, "cert.pem"),
    keyFile: paths.join(dir, "key.pem"),
    verify,
  };
}

/** DOCKER_HOST, with its TLS variables. Podman users set it too, so either engine may answer. */
export const dockerHostStrategy: EngineStrategy = async (ctx) => {
  const raw = envValue(ctx.env, "DOCKER_HOST");
  if (raw === undefined) return [];
  const parsed = parseEngineHost(raw, dockerEnvTls(ctx));
  if (isHostProblem(parsed)) {
    return [brokenProposal(EITHER_ENGINE, redactHost(raw), "DOCKER_HOST", parsed.problem)];
  }
  return [endpointProposal(EITHER_ENGINE, parsed, "DOCKER_HOST")];
};
