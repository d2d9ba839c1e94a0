import { randomBytes } from "node:crypto";
import { checkSandboxName } from "./validation.js";

/**
 * The name CreateSandbox gives a sandbox: the requested one, or a generated one when it is empty.
 *
 * @throws ConnectError INVALID_ARGUMENT when the requested name breaks the gateway's rules.
 */
export function sandboxNameFor(requested: string): string {
  // Generated names stay within the 19-character limit: "sandbox-" + 10 hex.
  const name = requested === "" ? `sandbox-${randomBytes(5).toString("hex")}` : requested;
  checkSandboxName(name);
  return name;
}
