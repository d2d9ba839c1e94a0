import { createHash } from "node:crypto";
import type { EngineTls } from "../engine-endpoint.js";
import { type DetectionContext, envValue, pathsFor } from "./detection-context.js";
import {
  brokenProposal,
  EITHER_ENGINE,
  type EngineStrategy,
  endpointProposal,
  type Proposal,
} from "./engine-candidate.js";
import { isHostProblem, parseEngineHost, redactHost } from "./parse-engine-host.js";

/** `$DOCKER_CONFIG`, else `~/.docker`: where the docker CLI keeps config.json and its contexts. */
export function dockerConfigDir(ctx: DetectionContext): string {
  return envValue(ctx.env, "DOCKER_CONFIG") ?? pathsFor(ctx.platform).join(ctx.homedir, ".docker");
}

/** The docker CLI stores a context under the hex SHA-256 of its name. */
export function contextId(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}

interface NamedContext {
  name: string;
  source: string;
}

/** DOCKER_CONTEXT beats config.json's `currentContext`, as in the docker CLI. */
async function chosenContext(ctx: DetectionContext, configDir: string): Promise<NamedContext | Proposal> {
  const fromEnv = envValue(ctx.env, "DOCKER_CONTEXT");
  if (fromEnv !== undefined) return { name: fromEnv, source: "DOCKER_CONTEXT" };
  const configFile = pathsFor(ctx.platform).join(configDir, "config.json");
  const source = `currentContext in ${configFile}`;
  const text = await ctx.readFile(configFile);
  if (text === undefined) return { name: "default", source };
  try {
    const config: unknown = JSON.parse(text);
    const current = (config as { currentContext?: unknown } | null)?.currentContext;
    return { name: typeof current === "string" && current.trim() ? current.trim() : "default", source };
  } catch (err) {
    // The docker CLI warns about a config file it cannot parse and goes on without it: so does this.
    return brokenProposal(
      EITHER_ENGINE,
      configFile,
      source,
      `not valid JSON: ${(err as Error).message}`,
      true,
    );
  }
}

interface ContextMeta {
  host: string | undefined;
  skipTlsVerify: boolean;
}

function readMeta(text: string): ContextMeta {
  const meta = JSON.parse(text) as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  const docker = meta?.Endpoints?.docker;
  return {
    host: typeof docker?.Host === "string" && docker.Host.trim() ? docker.Host.trim() : undefined,
    skipTlsVerify: docker?.SkipTLSVerify === true,
  };
}

/**
 * The context's TLS files, `contexts/tls/<id>/docker/{ca,cert,key}.pem`. The endpoint type holds all
 * three, so a context with only some of them (server-only TLS) is reported rather than half-used.
 */
async function contextTls(
  ctx: DetectionContext,
  configDir: string,
  id: string,
  skipTlsVerify: boolean,
): Promise<EngineTls | undefined | { problem: string }> {
  const paths = pathsFor(ctx.platform);
  const dir = paths.join(configDir, "contexts", "tls", id, "docker");
  const tls: EngineTls = {
    caFile: paths.join(dir, "ca.pem"),
    certFile: paths.join(dir, "cert.pem"),
    keyFile: paths.join(dir, "key.pem"),
    verify: !skipTlsVerify,
  };
  const files = [tls.caFile, tls.certFile, tls.keyFile];
  const present = await Promise.all(files.map((file) => ctx.exists(file)));
  if (present.every(Boolean)) return tls;
  if (!present.some(Boolean) && !skipTlsVerify) return undefined;
  const missing = files.filter((_, i) => !present[i]).map((file) => paths.basename(file));
  return {
    problem:
      `the context uses TLS but ${dir} lacks ${missing.join(", ")}; OpenShell needs ca.pem, cert.pem and ` +
      "key.pem for a TLS engine. Set DOCKER_HOST with DOCKER_CERT_PATH instead.",
  };
}

/**
 * The docker CLI's context: DOCKER_CONTEXT, else `currentContext` in config.json. The context
 * "default" means "no context" (the default socket, probed by other rules). DOCKER_HOST overrides
 * any context, as in the docker CLI, so with it set there is nothing to propose.
 */
export const dockerContextStrategy: EngineStrategy = async (ctx) => {
  if (envValue(ctx.env, "DOCKER_HOST") !== undefined) return [];
  const configDir = dockerConfigDir(ctx);
  const chosen = await chosenContext(ctx, configDir);
  if ("type" in chosen) return [chosen];
  if (chosen.name === "default") return [];
  const paths = pathsFor(ctx.platform);
  const source = `docker context "${chosen.name}" from ${chosen.source}`;
  const id = contextId(chosen.name);
  const metaFile = paths.join(configDir, "contexts", "meta", id, "meta.json");
  const text = await ctx.readFile(metaFile);
  if (text === undefined) {
    return [
      brokenProposal(
        EITHER_ENGINE,
        metaFile,
        source,
        `no such context (${metaFile} does not exist); see \`docker context ls\``,
      ),
    ];
  }
  let meta: ContextMeta;
  try {
    meta = readMeta(text);
  } catch (err) {
    return [brokenProposal(EITHER_ENGINE, metaFile, source, `not valid JSON: ${(err as Error).message}`)];
  }
  if (meta.host === undefined) {
    return [brokenProposal(EITHER_ENGINE, metaFile, source, "the context has no Endpoints.docker.Host")];
  }
  let tls: EngineTls | undefined;
  if (meta.host.toLowerCase().startsWith("tcp://")) {
    const found = await contextTls(ctx, configDir, id, meta.skipTlsVerify);
    if (found !== undefined && "problem" in found) {
      return [brokenProposal(EITHER_ENGINE, redactHost(meta.host), source, found.problem)];
    }
    tls = found;
  }
  const parsed = parseEngineHost(meta.host, tls);
  if (isHostProblem(parsed)) return [brokenProposal(EITHER_ENGINE, metaFile, source, parsed.problem)];
  return [endpointProposal(EITHER_ENGINE, parsed, source)];
};
