import { InvalidArgumentError } from "../../errors.js";
import type { SandboxSpec } from "../../gen/openshell/v1/openshell_pb.js";
import type { ContainerSpec, MountSpec } from "../../runtime/container-spec.js";
import { limitsFromResources } from "./resource-quantities.js";
import { type SandboxIdentity, sandboxContainerLabels, sandboxContainerName } from "./sandbox-container.js";
import { type ImageConfig, type PolicyRuntime, staticEnforcement } from "./static-policy.js";

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
  /** Set in every container after the template's and the spec's variables, so these win (HTTP_PROXY, ...). */
  egressEnv?: Readonly<Record<string, string>>;
  /** Mounted into every container after the policy's own mounts. */
  extraMounts?: readonly MountSpec[];
  /**
   * This host's address on the sandbox network, written in every container's /etc/hosts as
   * `host.openshell.internal` where the runtime can add host entries; none when sandboxes have no
   * egress (there is no host to reach).
   */
  hostAliasAddress?: string;
}

/** A sandbox's container, and what of its policy the runtime cannot enforce (to be logged). */
export interface SandboxContainer {
  spec: ContainerSpec;
  notEnforced: readonly string[];
}

/**
 * The container for a sandbox on `runtime`. The sandbox's command is the container's whole argv
 * (entrypoint included), as the gateway's supervisor runs it, so an image's ENTRYPOINT does not wrap
 * it. The policy's static sections become the container's user, mounts and limits (static-policy.ts);
 * without `image` (its config, before provisioning has looked at it) they are only checked.
 */
export function sandboxContainer(
  spec: SandboxSpec,
  sandbox: SandboxIdentity,
  options: SandboxContainerOptions,
  runtime: PolicyRuntime,
  image?: ImageConfig,
): SandboxContainer {
  const template = spec.template;
  const imageRef = template?.image || options.defaultImage;
  if (!imageRef) {
    throw new InvalidArgumentError(
      "spec.template.image: local mode has no default image; set template.image, or pass defaultImage to OpenShell.local()",
      { field: "spec.template.image" },
    );
  }
  const argv = spec.command.length > 0 ? spec.command : KEEP_ALIVE_COMMAND;
  const { pidsLimit: templatePids, ...limits } = limitsFromResources(template?.resources);
  const { notEnforced, pidsLimit, mounts, ...enforced } = staticEnforcement(spec.policy, {
    runtime,
    imageRef,
    ...(image === undefined ? {} : { image }),
    ...(templatePids === undefined ? {} : { pidsLimit: templatePids }),
  });
  const gpu = spec.resourceRequirements?.gpu;
  const allMounts = [...mounts, ...(options.extraMounts ?? [])];
  return {
    spec: {
      name: sandboxContainerName(sandbox),
      image: imageRef,
      entrypoint: [argv[0] as string],
      command: argv.slice(1),
      // The spec's environment overrides the template's, as on the gateway; the gateway's own wins.
      env: { ...template?.environment, ...spec.environment, ...options.egressEnv },
      labels: { ...template?.labels, ...sandboxContainerLabels(sandbox) },
      ...enforced,
      ...(allMounts.length === 0 ? {} : { mounts: allMounts }),
      resources: { ...limits, ...(pidsLimit === undefined ? {} : { pidsLimit }) },
      // A GPU requirement without a count asks for one GPU.
      ...(gpu === undefined ? {} : { gpus: gpu.count ?? 1 }),
      network: options.network,
      // The address itself, not the engines' "host-gateway": Docker maps that to its default
      // bridge's address, which has nothing to do with the sandbox's network (and is gone with that
      // bridge), and Podman 4 writes the word into /etc/hosts as it is. A runtime that cannot add
      // host entries (Apple `container`) leaves the name to the proxy, which resolves it itself for
      // every proxied request; only a direct connection by that name fails to resolve there.
      ...(options.hostAliasAddress === undefined || !runtime.capabilities.has("extra-hosts")
        ? {}
        : { extraHosts: [{ host: HOST_ALIAS, ip: options.hostAliasAddress }] }),
      tty: spec.command.length > 0 ? spec.tty : false,
    },
    notEnforced,
  };
}
