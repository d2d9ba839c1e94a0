import {
  CanceledError,
  InvalidArgumentError,
  RuntimeNotFoundError,
  type RuntimeProbe,
} from "../../errors.js";
import { describeEndpoint, type EngineEndpoint } from "../engine-endpoint.js";
import type { CommandRunner } from "../process/command-runner.js";
import { NodeCommandRunner } from "../process/node-command-runner.js";
import type { RuntimeKind } from "../runtime-info.js";
import { APPLE_CONTAINER_COMMAND, probeAppleContainer } from "./apple-container-probe.js";
import { type DetectionContext, detectionContext } from "./detection-context.js";
import {
  brokenProposal,
  dedupeProposals,
  EITHER_ENGINE,
  type EngineKind,
  type EngineStrategy,
  type Proposal,
} from "./engine-candidate.js";
import { DEFAULT_PING_TIMEOUT_MS, type EnginePing, type PingFunction, pingEngine } from "./engine-ping.js";
import { DEFAULT_SOCKET_STRATEGIES, SETTING_STRATEGIES } from "./engine-strategies.js";
import { reasonOf } from "./named-engine.js";
import { runtimeNotFoundMessage } from "./not-found-message.js";
import { chooseRuntime, type RuntimeChoice, type RuntimeSelection } from "./runtime-selection.js";
import { unavailableSettingMessage } from "./unavailable-setting-message.js";

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

async function propose(ctx: DetectionContext, strategies: readonly EngineStrategy[]): Promise<Proposal[]> {
  const proposals: Proposal[] = [];
  for (const strategy of strategies) {
    try {
      proposals.push(...(await strategy(ctx)));
    } catch (err) {
      // Strategies report what they can; an unexpected failure (an unreadable file) is one more probe.
      const location = (err as NodeJS.ErrnoException).path ?? "(unknown)";
      proposals.push(brokenProposal(EITHER_ENGINE, location, "detection", (err as Error).message, true));
    }
  }
  return proposals;
}

type PingOutcome = { ping: EnginePing } | { error: unknown };

interface EngineSearch {
  found: DetectedEngine | undefined;
  probes: RuntimeProbe[];
  /** In a search of settings: the one that names an engine that did not answer, which ends detection. */
  unavailable?: { probe: RuntimeProbe; broken: boolean };
}

interface SearchOptions {
  ping: PingFunction;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /**
   * The places are settings the user made: one that cannot be used or does not answer ends the search
   * (`unavailable`) instead of being passed over. One that answers as the other engine is passed over:
   * it names that engine, not the chosen one.
   */
  authoritative: boolean;
}

/**
 * Pings every proposed endpoint at once, then walks them in order: the first that answers (as the
 * chosen engine, when one was chosen) wins, and the rest are cut off. Side by side, detection takes
 * one timeout at worst instead of one per place. `earlier` are probes of a previous search, listed
 * first.
 */
async function searchEngines(
  proposals: readonly Proposal[],
  choice: RuntimeChoice,
  options: SearchOptions,
  earlier: readonly RuntimeProbe[] = [],
): Promise<EngineSearch> {
  const probes: RuntimeProbe[] = [...earlier];
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
        const probe = {
          runtime,
          location: proposal.location,
          source: proposal.source,
          reason: proposal.reason,
        };
        probes.push(probe);
        if (options.authoritative && !proposal.advisory) {
          return { found: undefined, probes, unavailable: { probe, broken: true } };
        }
        continue;
      }
      const outcome = await outcomes[index];
      if (options.signal?.aborted) throw canceled();
      const location = describeEndpoint(proposal.endpoint);
      if (outcome === undefined || "error" in outcome) {
        const reason = outcome === undefined ? "not probed" : reasonOf(outcome.error, proposal.endpoint);
        const probe = { runtime, location, source: proposal.source, reason };
        probes.push(probe);
        if (options.authoritative) return { found: undefined, probes, unavailable: { probe, broken: false } };
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
 * Settings in the order they bind. With Podman chosen, Podman's own variables (CONTAINER_HOST,
 * OPENSHELL_PODMAN_SOCKET) come before Docker's, which people point at either engine; otherwise the
 * rules' own order.
 */
function settingOrder(settings: Proposal[], wanted: RuntimeKind | undefined): Proposal[] {
  if (wanted !== "podman") return settings;
  const podmanOnly = (p: Proposal) => p.engines.length === 1 && p.engines[0] === "podman";
  return [...settings.filter(podmanOnly), ...settings.filter((p) => !podmanOnly(p))];
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
 * Settings first. A setting that names an engine is the engine to use, as docker's and podman's own
 * tools treat it: when the first one that applies cannot be read or does not answer, detection fails
 * with RuntimeNotFoundError naming it, and never falls back to another engine (which could be another
 * machine). One that answers as the other engine than the chosen one is passed over, since it names
 * that engine. In order (with Podman chosen, 3 and 4 come before 1 and 2):
 * 1. `DOCKER_HOST` (Docker or Podman), with `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH` for tcp://
 *    (ca.pem, cert.pem, key.pem; `~/.docker` when only DOCKER_TLS_VERIFY is set).
 * 2. The docker CLI context, unless DOCKER_HOST is set (it overrides the context, as in the docker
 *    CLI): `DOCKER_CONTEXT`, else `currentContext` in `$DOCKER_CONFIG/config.json` (default
 *    `~/.docker`); its endpoint from `contexts/meta/<sha256 of name>/meta.json`, TLS files from
 *    `contexts/tls/<sha256>/docker/`. The context `default` names nothing.
 * 3. `CONTAINER_HOST` (Podman; unix://, tcp://, ssh://).
 * 4. `OPENSHELL_PODMAN_SOCKET` (Podman; a path or unix:// URL).
 *
 * Only when no setting names an engine (for the chosen runtime), the usual places, where the first
 * that answers `GET /_ping` wins (places are pinged side by side):
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
 * first rule. ssh:// endpoints are not probed: one in a setting fails detection (pass it to
 * createRuntime as `endpoint` with the runtime instead).
 *
 * @throws InvalidArgumentError for an unknown runtime name (field `runtime` or the variable).
 * @throws RuntimeNotFoundError when a setting names an engine that cannot be used (its message says
 *   which, what went wrong and what to do), or when nothing answers (its message and `probes` list
 *   every place probed and why each failed).
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
    const forWanted = (proposals: Proposal[]) =>
      wanted === undefined ? proposals : proposals.filter((proposal) => proposal.engines.includes(wanted));
    const settings = settingOrder(forWanted(await propose(ctx, SETTING_STRATEGIES)), wanted);
    const usual = forWanted(await propose(ctx, DEFAULT_SOCKET_STRATEGIES));
    // One list for deduplication, so a default socket a setting already named is not probed again.
    const places = await dedupeProposals([...settings, ...usual], ctx);
    const search = { ping: options.ping ?? pingEngine, timeoutMs, signal };
    const named = await searchEngines(
      places.filter((place) => settings.includes(place)),
      choice,
      { ...search, authoritative: true },
    );
    if (named.found) return named.found;
    if (named.unavailable) {
      const { probe, broken } = named.unavailable;
      throw new RuntimeNotFoundError(unavailableSettingMessage({ probe, kind: wanted, broken }), {
        probes: named.probes,
      });
    }
    const found = await searchEngines(
      places.filter((place) => !settings.includes(place)),
      choice,
      { ...search, authoritative: false },
      named.probes,
    );
    if (found.found) return found.found;
    probes = found.probes;
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
