import type { EngineEndpoint } from "../engine-endpoint.js";
import type { DetectionContext } from "./detection-context.js";

/** The engines that speak the Docker API; Apple `container` is probed through its CLI instead. */
export type EngineKind = "docker" | "podman";

/** Docker's variables and sockets are often pointed at Podman (its Docker-compatible API). */
export const EITHER_ENGINE: readonly EngineKind[] = ["docker", "podman"];
export const DOCKER_ONLY: readonly EngineKind[] = ["docker"];
export const PODMAN_ONLY: readonly EngineKind[] = ["podman"];

/** A place a strategy proposes to ping. */
export interface EndpointProposal {
  type: "endpoint";
  /** The engines that may answer there; the ping decides which one does. */
  engines: readonly EngineKind[];
  endpoint: EngineEndpoint;
  /** The rule that proposed it, for messages: `DOCKER_HOST`, `Colima`, ... */
  source: string;
}

/** A place a strategy found but cannot use as written (a malformed variable, a missing context). */
export interface BrokenProposal {
  type: "broken";
  engines: readonly EngineKind[];
  location: string;
  source: string;
  reason: string;
  /**
   * Recorded for the message only: it names no engine, so it does not bind detection (an unreadable
   * or malformed config file, which the docker CLI also warns about and then ignores).
   */
  advisory?: true;
}

export type Proposal = EndpointProposal | BrokenProposal;

/** One detection rule: reads the context, proposes places in its own order. Never pings. */
export type EngineStrategy = (ctx: DetectionContext) => Promise<Proposal[]>;

export function endpointProposal(
  engines: readonly EngineKind[],
  endpoint: EngineEndpoint,
  source: string,
): EndpointProposal {
  return { type: "endpoint", engines, endpoint, source };
}

export function socketProposal(
  engines: readonly EngineKind[],
  socketPath: string,
  source: string,
): EndpointProposal {
  return endpointProposal(engines, { kind: "unix", socketPath }, source);
}

export function brokenProposal(
  engines: readonly EngineKind[],
  location: string,
  source: string,
  reason: string,
  advisory = false,
): BrokenProposal {
  return { type: "broken", engines, location, source, reason, ...(advisory ? { advisory: true } : {}) };
}

/**
 * What makes two endpoints the same engine: the socket's real path (so `/var/run/docker.sock` and
 * `/run/docker.sock` through the usual symlink are one), or host and port.
 */
export async function placeKey(endpoint: EngineEndpoint, ctx: DetectionContext): Promise<string> {
  switch (endpoint.kind) {
    case "unix":
      return `unix:${await ctx.realPath(endpoint.socketPath)}`;
    case "tcp":
      return `tcp:${endpoint.host.toLowerCase()}:${endpoint.port}`;
    case "ssh":
      return `ssh:${endpoint.username ?? ""}@${endpoint.host.toLowerCase()}:${endpoint.port}${endpoint.socketPath ?? ""}`;
  }
}

/** Drops endpoints proposed earlier by another rule, keeping the first (and so its source). */
export async function dedupeProposals(
  proposals: readonly Proposal[],
  ctx: DetectionContext,
): Promise<Proposal[]> {
  const seen = new Set<string>();
  const kept: Proposal[] = [];
  for (const proposal of proposals) {
    if (proposal.type === "endpoint") {
      const key = await placeKey(proposal.endpoint, ctx);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    kept.push(proposal);
  }
  return kept;
}
