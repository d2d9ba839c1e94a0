import {
  CanceledError,
  InvalidArgumentError,
  RuntimeNotFoundError,
  type RuntimeProbe,
} from "../../errors.js";
import { describeEndpoint, type EngineEndpoint } from "../engine-endpoint.js";
import type { CommandRunner } from "../process/command-runner.js";
import { NodeCommandRunner } from "../process/node-command-runner.js";
import { APPLE_CONTAINER_COMMAND, probeAppleContainer } from "./apple-container-probe.js";
import { type DetectionContext, detectionContext } from "./detection-context.js";
import {
  brokenProposal,
  dedupeProposals,
  EITHER_ENGINE,
  type EngineKind,
  type Proposal,
} from "./engine-candidate.js";
import { DEFAULT_PING_TIMEOUT_MS, type EnginePing, type PingFunction, pingEngine } from "./engine-ping.js";
import { ENGINE_STRATEGIES } from "./engine-strategies.js";
import { runtimeNotFoundMessage } from "./not-found-message.js";
import { chooseRuntime, type RuntimeChoice, type RuntimeSelection } from "./runtime-selection.js";

export interface DetectRuntimeOptions extends Partial<DetectionContext> {
  /** A runtime by name, or `"auto"` (the default): OPENSHELL_RUNTIME decides, else probing. */
  runtime?: RuntimeSelection;
  signal?: AbortSignal;
  /** How long each engine ping may take; default 2000. Pings run side by side. */
  timeoutMs?: number;
  /** Stand-in for {@link pingEngine}, for tests. */
  ping?: PingFunction;
  /** Runs the Apple `container` CLI for its status probe; default a {@link NodeCommandRunner}. */
  runner?: CommandRunner;
  /** The Apple `container` CLI; default `container` from PATH. */
  appleContainerCommand?: string;
}

/** What every detected runtime reports. */
export interface DetectedCommon {
  /** The rule that found it: `DOCKER_HOST`, `default Docker socket`, `podman machine`, ... */
  source: string;
  /** Places probed before this one, each with why it was not used (empty when the first answered). */
  skipped: readonly RuntimeProbe[];
}

/** A Docker-API engine that answered its ping. */
export interface DetectedEngine extends DetectedCommon {
  kind: EngineKind;
  endpoint: EngineEndpoint;
  /** The engine's Docker-compatible API version (`"1.41"`). */
  apiVersion: string;
  /** Podman's libpod API version (`"4.3.1"`); absent for Docker. */
  libpodApiVersion?: string;
}

/** Apple's `container` CLI, whose system service reported "running". */
export interface DetectedAppleContainer extends DetectedCommon {
  kind: "apple-container";
  /** The CLI to run (`container`). */
  command: string;
}

export type DetectedRuntime = DetectedEngine | DetectedAppleContainer;

function canceled(): CanceledError {
  return new CanceledError("container runtime detection was canceled");
}

async function propose(ctx: DetectionContext): Promise<Proposal[]> {
  const proposals: Proposal[] = [];
  for (const strategy of ENGINE_STRATEGIES) {
    try {
      proposals.push(...(await strategy(ctx)));
    } catch (err) {
      // Strategies report what they can; an unexpected failure (an unreadable file) is one more probe.
      const location = (err as NodeJS.ErrnoException).path ?? "(unknown)";
      proposals.push(brokenProposal(EITHER_ENGINE, location, "detection", (err as Error).message));
    }
  }
  return proposals;
}

/** The reason without the endpoint prefix the ping's messages carry (the probe line shows it). */
function reasonOf(err: unknown, endpoint: EngineEndpoint): string {
  const message = err instanceof Error ? err.message : String(err);
  const prefix = `${describeEndpoint(endpoint)}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

type PingOutcome = { ping: EnginePing } | { error: unknown };

interface EngineSearch {
  found: DetectedEngine | undefined;
  probes: RuntimeProbe[];
}

/**
 * Pings every proposed endpoint at once, then walks them in order: the first that answers (as the
 * chosen engine, when one was chosen) wins, and the rest are cut off. Side by side, detection takes
 * one timeout at worst instead of one per place.
 */
async function searchEngines(
  proposals: readonly Proposal[],
  choice: RuntimeChoice,
  options: { ping: PingFunction; timeoutMs: number; signal: AbortSignal | undefined },
): Promise<EngineSearch> {
  const probes: RuntimeProbe[] = [];
  const pings = new AbortController();
  const stopPings = () => pings.abort();
  options.signal?.addEventListener("abort", stopPings, { once: true });
  try {
    const outcomes = proposals.map((proposal): Promise<PingOutcome> | undefined =>
      proposal.type === "endpoint"
        ? options.ping(proposal.endpoint, { timeoutMs: options.timeoutMs, signal: pings.signal }).then(
            (ping) => ({ ping }),
            (error: unknown) => ({ error }),
          )
        : undefined,
    );
    for (const [index, proposal] of proposals.entries()) {
      const runtime = choice.kind ?? proposal.engines[0] ?? "docker";
      if (proposal.type === "broken") {
        probes.push({
          runtime,
          location: proposal.location,
          source: proposal.source,
          reason: proposal.reason,
        });
        continue;
      }
      const outcome = await outcomes[index];
      if (options.signal?.aborted) throw canceled();
      const location = describeEndpoint(proposal.endpoint);
      if (outcome === undefined || "error" in outcome) {
        const reason = outcome === undefined ? "not probed" : reasonOf(outcome.error, proposal.endpoint);
        probes.push({ runtime, location, source: proposal.source, reason });
        continue;
      }
      const { ping } = outcome;
      if (choice.kind !== undefined && ping.kind !== choice.kind) {
        const reason = `answers as ${ping.kind}, not ${choice.kind} (${choice.from}=${choice.kind})`;
        probes.push({ runtime, location, source: proposal.source, reason });
        continue;
      }
      const found: DetectedEngine = {
        kind: ping.kind,
        endpoint: proposal.endpoint,
        source: proposal.source,
        apiVersion: ping.apiVersion,
        ...(ping.libpodApiVersion === undefined ? {} : { libpodApiVersion: ping.libpodApiVersion }),
        skipped: [...probes],
      };
      return { found, probes };
    }
    return { found: undefined, probes };
  } finally {
    options.signal?.removeEventListener("abort", stopPings);
    pings.abort();
  }
}

/**
 * Finds the container runtime to use.
 *
 * Selection: the `runtime` option, else `OPENSHELL_RUNTIME` (or its alias `OPEN_SHELL_RUNTIME`),
 * each one of `docker`, `podman`, `apple-container` or `auto`; `auto` or nothing means probe. A
 * chosen runtime limits the probes to places that can be that runtime, and a place whose ping
 * reveals the other engine is rejected ("answers as podman, not docker"). `apple-container` probes
 * only the CLI.
 *
 * Probe order (the first place that answers `GET /_ping` wins; places are pinged side by side):
 * 1. `DOCKER_HOST` (Docker or Podman), with `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH` for tcp://
 *    (ca.pem, cert.pem, key.pem; `~/.docker` when only DOCKER_TLS_VERIFY is set).
 * 2. The docker CLI context: `DOCKER_CONTEXT`, else `currentContext` in `$DOCKER_CONFIG/config.json`
 *    (default `~/.docker`); its endpoint from `contexts/meta/<sha256 of name>/meta.json`, TLS files
 *    from `contexts/tls/<sha256>/docker/`. The context `default` adds nothing.
 * 3. `CONTAINER_HOST` (Podman; unix://, tcp://, ssh://).
 * 4. `OPENSHELL_PODMAN_SOCKET` (Podman; a path or unix:// URL).
 * 5. Docker's default sockets: `/var/run/docker.sock`, `$XDG_RUNTIME_DIR/docker.sock`, Docker Desktop
 *    (`~/.docker/run/docker.sock` on macOS, `~/.docker/desktop/docker.sock` on Linux),
 *    `/run/user/<uid>/docker.sock` (Linux), Colima `~/.colima/default/docker.sock`, Rancher Desktop
 *    `~/.rd/docker.sock`.
 * 6. Podman's default sockets: `/run/podman/podman.sock` and `/run/user/<uid>/podman/podman.sock`
 *    (Linux), `$XDG_RUNTIME_DIR/podman/podman.sock`; on macOS the `podman machine` sockets
 *    (`$TMPDIR/podman/*-api.sock`, `~/.local/share/containers/podman/machine/podman.sock` and
 *    `.../machine/<dir>/{podman.sock,*-api.sock}`).
 * 7. Apple `container` (macOS only): `container system status --format json` must say "running".
 *
 * A place proposed twice (same socket after symlinks, same host and port) is probed once, under the
 * first rule. ssh:// endpoints are not probed and count as failed probes.
 *
 * @throws InvalidArgumentError for an unknown runtime name (field `runtime` or the variable).
 * @throws RuntimeNotFoundError when nothing answers; its message and `probes` list every place
 *   probed and why each failed.
 * @throws CanceledError when `signal` fires.
 */
export async function detectRuntime(options: DetectRuntimeOptions = {}): Promise<DetectedRuntime> {
  const ctx = detectionContext(options);
  const choice = chooseRuntime(options.runtime, ctx.env);
  const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidArgumentError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}.`, {
      field: "timeoutMs",
    });
  }
  const { signal } = options;
  if (signal?.aborted) throw canceled();

  let probes: RuntimeProbe[] = [];
  if (choice.kind !== "apple-container") {
    const wanted = choice.kind;
    const all = await propose(ctx);
    const proposals = await dedupeProposals(
      wanted === undefined ? all : all.filter((proposal) => proposal.engines.includes(wanted)),
      ctx,
    );
    const search = await searchEngines(proposals, choice, {
      ping: options.ping ?? pingEngine,
      timeoutMs,
      signal,
    });
    if (search.found) return search.found;
    probes = search.probes;
  }

  // Apple `container` is the last resort of detection, and the only probe when it was chosen.
  if (choice.kind === "apple-container" || (choice.kind === undefined && ctx.platform === "darwin")) {
    const source = choice.kind === undefined ? "Apple container CLI" : `${choice.from}=apple-container`;
    const apple = await probeAppleContainer({
      platform: ctx.platform,
      runner: options.runner ?? new NodeCommandRunner(),
      command: options.appleContainerCommand ?? APPLE_CONTAINER_COMMAND,
      ...(signal ? { signal } : {}),
    });
    if (signal?.aborted) throw canceled();
    if (apple.ok) return { kind: "apple-container", command: apple.command, source, skipped: probes };
    probes.push({
      runtime: "apple-container",
      location: `${apple.command} system status`,
      source,
      reason: apple.reason,
    });
  }

  throw new RuntimeNotFoundError(
    runtimeNotFoundMessage({ probes, kind: choice.kind, from: choice.from, platform: ctx.platform }),
    { probes },
  );
}
