import { homedir } from "node:os";
import path from "node:path";
import { type Env, envValue } from "./env-values.js";

/** Where the per-user config root lives, as the openshell CLI computes it. */
export interface RootInputs {
  env: Env;
  homeDir: string | undefined;
  platform: NodeJS.Platform;
}

/**
 * `$XDG_CONFIG_HOME/openshell`, else `%APPDATA%\openshell` on Windows, else `~/.config/openshell`.
 * A relative XDG_CONFIG_HOME is ignored, as the XDG spec asks, so a stray value cannot point the
 * SDK at a folder that depends on the current directory.
 */
export function userConfigRoot({ env, homeDir, platform }: RootInputs): string {
  const paths = platform === "win32" ? path.win32 : path.posix;
  const xdg = envValue(env, "XDG_CONFIG_HOME");
  if (xdg && paths.isAbsolute(xdg)) return paths.join(xdg, "openshell");
  const home = homeDir ?? envValue(env, platform === "win32" ? "USERPROFILE" : "HOME") ?? homedir();
  if (platform === "win32") {
    const appData = envValue(env, "APPDATA") ?? paths.join(home, "AppData", "Roaming");
    return paths.join(appData, "openshell");
  }
  return paths.join(home, ".config", "openshell");
}

/** `$OPENSHELL_SYSTEM_GATEWAY_DIR` when it is an absolute path, else `/etc/openshell`. */
export function systemConfigRoot(env: Env): string {
  const dir = envValue(env, "OPENSHELL_SYSTEM_GATEWAY_DIR");
  return dir && path.isAbsolute(dir) ? dir : "/etc/openshell";
}
