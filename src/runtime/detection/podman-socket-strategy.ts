import { type DetectionContext, envDir, pathsFor } from "./detection-context.js";
import {
  type EndpointProposal,
  type EngineStrategy,
  PODMAN_ONLY,
  socketProposal,
} from "./engine-candidate.js";

const defaultMachine = "podman-machine-default";

/** The default machine first, then the others by name, so the choice does not depend on disk order. */
function byMachine(a: string, b: string): number {
  const rank = (name: string) => (name.startsWith(defaultMachine) ? 0 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/**
 * `podman machine` API sockets on macOS. Podman 5 puts `<machine>-api.sock` in `$TMPDIR/podman`;
 * Podman 4 and Podman Desktop used `podman.sock` in the machine data folder
 * (`$XDG_DATA_HOME` or `~/.local/share`, then `containers/podman/machine`), directly or one level
 * down (per provider or machine), where some providers also keep `<machine>-api.sock`.
 */
async function machineSockets(ctx: DetectionContext): Promise<EndpointProposal[]> {
  const paths = pathsFor(ctx.platform);
  const found: string[] = [];
  const tmp = envDir(ctx, "TMPDIR");
  if (tmp !== undefined) {
    const dir = paths.join(tmp, "podman");
    const names = (await ctx.listDir(dir)).filter((name) => name.endsWith("-api.sock")).sort(byMachine);
    found.push(...names.map((name) => paths.join(dir, name)));
  }
  const dataHome = envDir(ctx, "XDG_DATA_HOME") ?? paths.join(ctx.homedir, ".local", "share");
  const machineDir = paths.join(dataHome, "containers", "podman", "machine");
  found.push(paths.join(machineDir, "podman.sock"));
  for (const sub of await ctx.listDir(machineDir)) {
    const dir = paths.join(machineDir, sub);
    const names = (await ctx.listDir(dir))
      .filter((name) => name === "podman.sock" || name.endsWith("-api.sock"))
      .sort(byMachine);
    found.push(...names.map((name) => paths.join(dir, name)));
  }
  return found.map((socketPath) => socketProposal(PODMAN_ONLY, socketPath, "podman machine"));
}

/**
 * Where Podman's API service listens when nothing says otherwise, in this order: rootful
 * `/run/podman/podman.sock` (Linux); rootless `$XDG_RUNTIME_DIR/podman/podman.sock` and
 * `/run/user/<uid>/podman/podman.sock` (Linux); then, on macOS, the `podman machine` sockets.
 */
export const podmanSocketStrategy: EngineStrategy = async (ctx) => {
  if (ctx.platform === "win32") return [];
  const paths = pathsFor(ctx.platform);
  const proposals: EndpointProposal[] = [];
  if (ctx.platform !== "darwin") {
    proposals.push(socketProposal(PODMAN_ONLY, "/run/podman/podman.sock", "rootful Podman socket"));
  }
  const runtimeDir = envDir(ctx, "XDG_RUNTIME_DIR");
  if (runtimeDir !== undefined) {
    proposals.push(
      socketProposal(
        PODMAN_ONLY,
        paths.join(runtimeDir, "podman", "podman.sock"),
        "rootless Podman in XDG_RUNTIME_DIR",
      ),
    );
  }
  if (ctx.platform === "linux" && ctx.uid !== undefined) {
    proposals.push(socketProposal(PODMAN_ONLY, `/run/user/${ctx.uid}/podman/podman.sock`, "rootless Podman"));
  }
  if (ctx.platform === "darwin") proposals.push(...(await machineSockets(ctx)));
  return proposals;
};
