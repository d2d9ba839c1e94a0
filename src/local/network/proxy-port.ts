import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { STATE_ENTRIES } from "../state/state-dir.js";

const PORT_FILE = STATE_ENTRIES.egressPort;

/**
 * The egress proxy's port, kept in the state directory: sandboxes carry the proxy's address in
 * their environment from create on, so a restarted gateway must listen where they expect it.
 */
export function readProxyPort(stateDir: string): number | undefined {
  try {
    const port = Number(readFileSync(join(stateDir, PORT_FILE), "utf8").trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export function writeProxyPort(stateDir: string, port: number): void {
  writeFileSync(join(stateDir, PORT_FILE), `${port}\n`, { mode: 0o600 });
}
