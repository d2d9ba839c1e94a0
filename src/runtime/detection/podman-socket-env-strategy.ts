import { envValue, pathsFor } from "./detection-context.js";
import { brokenProposal, type EngineStrategy, PODMAN_ONLY, socketProposal } from "./engine-candidate.js";

/** OPENSHELL_PODMAN_SOCKET: a Podman socket as a path or a unix:// URL (the upstream gateway's variable). */
export const podmanSocketEnvStrategy: EngineStrategy = async (ctx) => {
  const raw = envValue(ctx.env, "OPENSHELL_PODMAN_SOCKET");
  if (raw === undefined) return [];
  const socketPath = raw.startsWith("unix://") ? raw.slice("unix://".length) : raw;
  if (!pathsFor(ctx.platform).isAbsolute(socketPath)) {
    return [
      brokenProposal(
        PODMAN_ONLY,
        raw,
        "OPENSHELL_PODMAN_SOCKET",
        `${JSON.stringify(raw)} is not an absolute socket path; write /path/to/podman.sock or unix:///path/to/podman.sock`,
      ),
    ];
  }
  return [socketProposal(PODMAN_ONLY, socketPath, "OPENSHELL_PODMAN_SOCKET")];
};
