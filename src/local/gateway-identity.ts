import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Marks the containers and network of one local gateway (one state directory) in the runtime. */
export const GATEWAY_LABEL = "openshell.ai/local-gateway";

const ID_FILE = "gateway-id";
const ID_PATTERN = /^[0-9a-f]{16}$/;

/**
 * The gateway's id: made once per state directory and kept there, so a restarted gateway finds its
 * own containers by label, and two gateways with different state directories never claim each
 * other's. `wx` makes the first of two racing processes win; the other reads what it wrote.
 */
export function gatewayIdOf(stateDir: string): string {
  const file = join(stateDir, ID_FILE);
  try {
    writeFileSync(file, `${randomBytes(8).toString("hex")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const id = readFileSync(file, "utf8").trim();
  if (!ID_PATTERN.test(id)) {
    throw new Error(`${file} does not hold a gateway id (16 hex digits); remove it to make a new one`);
  }
  return id;
}
