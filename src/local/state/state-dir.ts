import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where local mode keeps what the container runtime cannot hold: `$XDG_STATE_HOME/openshell/local`,
 * else `~/.local/state/openshell/local` (the XDG default for state that should survive restarts but
 * is not configuration).
 */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg?.startsWith("/") ? xdg : join(env.HOME ?? homedir(), ".local", "state");
  return join(base, "openshell", "local");
}
