import type { RuntimeProbe } from "../../errors.js";
import type { RuntimeKind } from "../runtime-info.js";

/** The `source` of a probe made for the `endpoint` option of createRuntime. */
export const ENDPOINT_OPTION_SOURCE = "option endpoint";

export interface UnavailableSettingInputs {
  /** The setting that names the engine, and why it could not be used. */
  probe: RuntimeProbe;
  /** The runtime that was asked for; undefined when any would do. */
  kind: RuntimeKind | undefined;
  /** True when the setting could not even be read (a malformed value, a missing context). */
  broken: boolean;
}

const engineNames: Record<RuntimeKind, string> = {
  docker: "Docker engine",
  podman: "Podman engine",
  "apple-container": "Apple container runtime",
};

function settingName(source: string): string {
  return source === ENDPOINT_OPTION_SOURCE ? "the endpoint option" : source;
}

/** What to do about each kind of setting; `location` is the endpoint it names (or its raw value). */
function fixes(source: string, location: string): string[] {
  if (source === ENDPOINT_OPTION_SOURCE) {
    return [
      `start the engine at ${location}, or pass the endpoint where it listens`,
      "or leave `endpoint` out to detect an engine (DOCKER_HOST, CONTAINER_HOST, then the default sockets)",
    ];
  }
  if (source.startsWith("docker context")) {
    return [
      "start the engine the context points at (`docker context inspect`), or switch with `docker context use <name>`",
      "or `docker context use default` (and unset DOCKER_CONTEXT) to use the engines in the usual places",
    ];
  }
  if (source === "OPENSHELL_PODMAN_SOCKET") {
    return [
      `start Podman's API service on it: \`podman system service --time=0 ${location}\``,
      "or correct OPENSHELL_PODMAN_SOCKET, or unset it to look in the usual places",
    ];
  }
  const listing = source === "CONTAINER_HOST" ? " (`podman system connection list` shows Podman's)" : "";
  return [
    `start the engine at ${location}, or correct ${source}${listing}`,
    `or unset ${source} to use an engine in the usual places (the default sockets)`,
  ];
}

/**
 * The RuntimeNotFoundError message for a setting that names an engine which does not answer (or
 * cannot be read): which setting, which endpoint, what went wrong, that nothing else was tried, and
 * what to do. Locations are socket paths and URLs with passwords hidden, never file contents.
 */
export function unavailableSettingMessage({ probe, kind, broken }: UnavailableSettingInputs): string {
  const engine = kind === undefined ? "container engine" : engineNames[kind];
  const what = broken
    ? `cannot be used: ${probe.reason}`
    : `is unavailable: ${probe.location}: ${probe.reason}`;
  return [
    `The ${engine} that ${settingName(probe.source)} names ${what}.`,
    "OpenShell uses the engine a setting names, as docker's and podman's own tools do, and does not fall " +
      "back to another engine (which could be another machine, or have other images and limits).",
    "To fix it:",
    ...fixes(probe.source, probe.location).map((fix) => `  - ${fix}`),
  ].join("\n");
}
