import { envDir, envValue, pathsFor } from "./detection-context.js";
import { DOCKER_ONLY, type EngineStrategy, socketProposal } from "./engine-candidate.js";

/**
 * Where Docker listens when nothing says otherwise, in this order: the system socket; rootless
 * Docker (`$XDG_RUNTIME_DIR`, and `/run/user/<uid>` on Linux); Docker Desktop (`~/.docker/run` on
 * macOS, `~/.docker/desktop` on Linux); Colima (`$COLIMA_HOME` or `~/.colima`, profile "default");
 * Rancher Desktop (`~/.rd`). Windows has no sockets here: set DOCKER_HOST=tcp://... there.
 */
export const dockerSocketStrategy: EngineStrategy = async (ctx) => {
  if (ctx.platform === "win32") return [];
  const paths = pathsFor(ctx.platform);
  const home = (...parts: string[]) => paths.join(ctx.homedir, ...parts);
  const proposals = [socketProposal(DOCKER_ONLY, "/var/run/docker.sock", "default Docker socket")];
  const runtimeDir = envDir(ctx, "XDG_RUNTIME_DIR");
  if (runtimeDir !== undefined) {
    proposals.push(
      socketProposal(
        DOCKER_ONLY,
        paths.join(runtimeDir, "docker.sock"),
        "rootless Docker in XDG_RUNTIME_DIR",
      ),
    );
  }
  if (ctx.platform === "darwin") {
    proposals.push(socketProposal(DOCKER_ONLY, home(".docker", "run", "docker.sock"), "Docker Desktop"));
  } else {
    proposals.push(socketProposal(DOCKER_ONLY, home(".docker", "desktop", "docker.sock"), "Docker Desktop"));
  }
  if (ctx.platform === "linux" && ctx.uid !== undefined) {
    proposals.push(socketProposal(DOCKER_ONLY, `/run/user/${ctx.uid}/docker.sock`, "rootless Docker"));
  }
  const colimaHome = envValue(ctx.env, "COLIMA_HOME") ?? home(".colima");
  proposals.push(socketProposal(DOCKER_ONLY, paths.join(colimaHome, "default", "docker.sock"), "Colima"));
  proposals.push(socketProposal(DOCKER_ONLY, home(".rd", "docker.sock"), "Rancher Desktop"));
  return proposals;
};
