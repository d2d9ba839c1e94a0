import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { STATE_ENTRIES } from "./state/state-dir.js";

/** Marks the containers and network of one local gateway (one state directory) in the runtime. */
export const GATEWAY_LABEL = "openshell.ai/local-gateway";

const ID_FILE = STATE_ENTRIES.gatewayId;
const ID_PATTERN = /^[0-9a-f]{16}$/;

/** A new gateway id: 16 hex digits. */
export function newGatewayId(): string {
  return randomBytes(8).toString("hex");
}

/**
 * The id a state directory already has, without writing anything; undefined when it has none yet
 * (or the directory does not exist).
 */
export function readGatewayId(stateDir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, ID_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return checkedId(join(stateDir, ID_FILE), text);
}

/**
 * The gateway's id: made once per state directory and kept there, so a restarted gateway finds its
 * own containers by label, and two gateways with different state directories never claim each
 * other's. `wx` makes the first of two racing processes win; the other reads what it wrote.
 * `proposed` is the id to write when there is none yet (a new one when absent).
 */
export function gatewayIdOf(stateDir: string, proposed: string = newGatewayId()): string {
  const file = join(stateDir, ID_FILE);
  try {
    writeFileSync(file, `${proposed}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return checkedId(file, readFileSync(file, "utf8"));
}

function checkedId(file: string, text: string): string {
  const id = text.trim();
  if (!ID_PATTERN.test(id)) {
    throw new Error(`${file} does not hold a gateway id (16 hex digits); remove it to make a new one`);
  }
  return id;
}
