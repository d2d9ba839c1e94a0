import { InvalidArgumentError } from "../../errors.js";
import type { SandboxSpec } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerSpec } from "../../runtime/container-spec.js";
import { limitsFromResources } from "./resource-quantities.js";
import { type SandboxIdentity, sandboxContainerLabels, sandboxContainerName } from "./sandbox-container.js";

/**
 * What runs when a sandbox is created without a command. The real gateway runs a login shell under
 * its in-sandbox supervisor; local mode has no supervisor, so it keeps the container alive for exec
 * with a shell loop that sleeps, and exits at once on SIGTERM so stop and delete are not held up by
 * the engine's 10 s grace period (a bare `sleep` as PID 1 ignores SIGTERM).
 */
export const KEEP_ALIVE_COMMAND: readonly string[] = [
  "/bin/sh",
  "-c",
  "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done",
];

/** The name sandboxes reach the host by, as on the gateway's Docker driver. */
export const HOST_ALIAS = "host.openshell.internal";

export interface SandboxContainerOptions {
  /** The network local mode puts its sandboxes on. */
  network: string;
  /** Image for a spec without `template.image`; local mode has none unless one is configured. */
  defaultImage?: string;
}

/**
 * The container for a sandbox. The sandbox's command is the container's whole argv (entrypoint
 * included), as the gateway's supervisor runs it, so an image's ENTRYPOINT does not wrap it.
 */
export function sandboxContainerSpec(
  spec: SandboxSpec,
  sandbox: SandboxIdentity,
  options: SandboxContainerOptions,
): ContainerSpec {
  const template = spec.template;
  const image = template?.image || options.defaultImage;
  if (!image) {
    throw new InvalidArgumentError(
      "spec.template.image: local mode has no default image; set template.image, or pass defaultImage to OpenShell.local()",
      { field: "spec.template.image" },
    );
  }
  const argv = spec.command.length > 0 ? spec.command : KEEP_ALIVE_COMMAND;
  const user = spec.policy?.process?.runAsUser;
  const group = spec.policy?.process?.runAsGroup;
  const gpu = spec.resourceRequirements?.gpu;
  return {
    name: sandboxContainerName(sandbox),
    image,
    entrypoint: [argv[0] as string],
    command: argv.slice(1),
    // The spec's environment overrides the template's, as on the gateway.
    env: { ...template?.environment, ...spec.environment },
    labels: { ...template?.labels, ...sandboxContainerLabels(sandbox) },
    ...(user ? { user: group ? `${user}:${group}` : user } : {}),
    resources: limitsFromResources(template?.resources),
    // A GPU requirement without a count asks for one GPU.
    ...(gpu === undefined ? {} : { gpus: gpu.count ?? 1 }),
    network: options.network,
    extraHosts: [{ host: HOST_ALIAS, ip: "host-gateway" }],
    tty: spec.command.length > 0 ? spec.tty : false,
  };
}
