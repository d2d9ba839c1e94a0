import type { RuntimeProbe } from "../../errors.js";
import type { RuntimeKind } from "../runtime-info.js";

export interface NotFoundInputs {
  probes: readonly RuntimeProbe[];
  /** The runtime that was asked for, if any, and who asked. */
  kind: RuntimeKind | undefined;
  from: string | undefined;
  platform: NodeJS.Platform;
}

const names: Record<RuntimeKind, string> = {
  docker: "Docker",
  podman: "Podman",
  "apple-container": "Apple container",
};

function headline({ kind, from }: NotFoundInputs): string {
  if (kind === undefined) return "No container runtime answered.";
  return `No ${names[kind]} runtime answered (${from}=${kind} limits detection to ${names[kind]}).`;
}

function fixes({ kind, platform }: NotFoundInputs): string[] {
  const mac = platform === "darwin";
  const startDocker = mac
    ? "start Docker Desktop, Colima or Rancher Desktop"
    : "start Docker (`sudo systemctl start docker`, or Docker Desktop)";
  const startPodman = mac
    ? "start Podman (`podman machine start`)"
    : "start Podman's API service (`systemctl --user start podman.socket`, or `podman system service --time=0`)";
  if (kind === "apple-container") {
    return [
      "start it with `container system start`; install it from https://github.com/apple/container (macOS 26, Apple silicon)",
      "or choose another runtime with OPENSHELL_RUNTIME=docker or OPENSHELL_RUNTIME=podman",
    ];
  }
  if (kind === "docker") {
    return [
      startDocker,
      "or point at a running engine with DOCKER_HOST (unix:///path/to/docker.sock, tcp://host:2376 with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH)",
      "or install Docker (https://docs.docker.com/engine/install/), or choose another runtime with OPENSHELL_RUNTIME=podman",
    ];
  }
  if (kind === "podman") {
    return [
      startPodman,
      "or point at a running Podman with CONTAINER_HOST, OPENSHELL_PODMAN_SOCKET or DOCKER_HOST",
      "or install Podman (https://podman.io/docs/installation), or choose another runtime with OPENSHELL_RUNTIME=docker",
    ];
  }
  return [
    `${startDocker}, or ${startPodman}${mac ? ", or Apple container (`container system start`)" : ""}`,
    "or point at a running engine with DOCKER_HOST (Docker or Podman) or CONTAINER_HOST (Podman)",
    "or choose the runtime with OPENSHELL_RUNTIME=docker|podman|apple-container",
    "or, if none is installed, install Docker (https://docs.docker.com/engine/install/) or Podman (https://podman.io/docs/installation)",
  ];
}

/**
 * The RuntimeNotFoundError message: every place probed, one line each with why it failed, then
 * what to do. Locations are socket paths and URLs, never file contents.
 */
export function runtimeNotFoundMessage(inputs: NotFoundInputs): string {
  const lines = [headline(inputs)];
  if (inputs.probes.length === 0) {
    lines.push(
      `Nothing to probe on ${inputs.platform}: no variable names an engine and no default socket applies.`,
    );
  } else {
    lines.push("Probed, in order:");
    for (const probe of inputs.probes) {
      lines.push(`  - ${probe.runtime} at ${probe.location} (${probe.source}): ${probe.reason}`);
    }
  }
  lines.push("To fix it:");
  for (const fix of fixes(inputs)) lines.push(`  - ${fix}`);
  return lines.join("\n");
}
