import { Code, ConnectError } from "@connectrpc/connect";

/** Upstream limits (SEMANTICS.md §3, §4). */
export const limits = {
  sandboxNameChars: 19,
  providers: 32,
  envEntries: 128,
  envKeyBytes: 256,
  envValueBytes: 8 * 1024,
  policyBytes: 256 * 1024,
  mainCommandArgs: 256,
  execArgs: 1024,
  execArgBytes: 32 * 1024,
} as const;

const dns1123Label = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const envKey = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

export function checkSandboxName(name: string): void {
  if (name.length > limits.sandboxNameChars) {
    throw invalid(`sandbox name "${name}" is longer than ${limits.sandboxNameChars} characters`);
  }
  if (!dns1123Label.test(name) || name.includes("--")) {
    throw invalid(
      `sandbox name "${name}" must be a DNS-1123 label: lowercase letters, digits and single "-", not at either end`,
    );
  }
}

export function checkSpecEnvironment(environment: Record<string, string>, field: string): void {
  const entries = Object.entries(environment);
  if (entries.length > limits.envEntries) {
    throw invalid(`${field} has ${entries.length} entries, more than ${limits.envEntries}`);
  }
  for (const [key, value] of entries) {
    if (Buffer.byteLength(key) > limits.envKeyBytes) {
      throw invalid(`${field} key "${key.slice(0, 32)}..." is longer than ${limits.envKeyBytes} bytes`);
    }
    if (Buffer.byteLength(value) > limits.envValueBytes) {
      throw invalid(`${field}["${key}"] is longer than ${limits.envValueBytes} bytes`);
    }
  }
}

export function checkExecCommand(command: string[], environment: Record<string, string>): void {
  if (command.length === 0) throw invalid("command is required");
  if (command.length > limits.execArgs) {
    throw invalid(`command has ${command.length} arguments, more than ${limits.execArgs}`);
  }
  for (const [i, arg] of command.entries()) {
    if (Buffer.byteLength(arg) > limits.execArgBytes) {
      throw invalid(`command[${i}] is longer than ${limits.execArgBytes} bytes`);
    }
    if (arg.includes("\0")) throw invalid(`command[${i}] contains a NUL byte`);
  }
  for (const key of Object.keys(environment)) {
    if (!envKey.test(key)) throw invalid(`environment key "${key}" must match ^[A-Za-z_][A-Za-z0-9_]*$`);
  }
}

/** limit/offset paging with the gateway's defaults and caps. */
export function page<T>(
  items: T[],
  limit: number,
  offset: number,
  defaultLimit: number,
  maxLimit: number,
): T[] {
  const size = Math.min(limit === 0 ? defaultLimit : limit, maxLimit);
  return items.slice(offset, offset + size);
}

/** `k=v,k2=v2`: every pair must match. A malformed selector is the caller's mistake. */
export function parseLabelSelector(selector: string): [string, string][] {
  if (selector.trim() === "") return [];
  return selector.split(",").map((part) => {
    const eq = part.indexOf("=");
    if (eq <= 0) throw invalid(`label_selector "${selector}": expected k=v pairs separated by commas`);
    return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
  });
}
