import { InvalidArgumentError } from "../../errors.js";

/**
 * Kubernetes resource quantities, as the gateway's `template.resources` carries them
 * (`{"limits": {"cpu": "500m", "memory": "2Gi"}}`), read into what a container engine takes.
 */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** The quantity's value in base units (cores, bytes). InvalidArgumentError naming `field` when it is not one. */
export function parseQuantity(value: unknown, field: string): number {
  const text = typeof value === "number" ? String(value) : value;
  const match = typeof text === "string" ? QUANTITY.exec(text.trim()) : null;
  if (match === null) {
    throw new InvalidArgumentError(
      `${field}: ${JSON.stringify(value)} is not a resource quantity (examples: "500m", "2", "512Mi", "2Gi")`,
      { field },
    );
  }
  const number = Number(match[1]);
  const suffix = match[2] ?? "";
  const scale = match[3] !== undefined ? 10 ** Number(match[3]) : (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
  const result = number * scale;
  if (!(result > 0) || !Number.isFinite(result)) {
    throw new InvalidArgumentError(`${field}: ${JSON.stringify(value)} must be more than zero`, { field });
  }
  return result;
}

export interface ContainerLimits {
  cpus?: number;
  memoryMiB?: number;
  /** `limits.pids`: not a Kubernetes resource, local mode's own (the container's PID limit). */
  pidsLimit?: number;
}

/**
 * The container limits for a `template.resources` object. Limits are what a container engine can
 * enforce; requests are scheduling hints for a cluster and have no meaning on one machine, so they
 * are used only when no limit is given for that resource.
 */
export function limitsFromResources(resources: unknown): ContainerLimits {
  if (resources === undefined || resources === null) return {};
  if (typeof resources !== "object" || Array.isArray(resources)) {
    throw new InvalidArgumentError("template.resources must be an object like {limits: {cpu, memory}}", {
      field: "template.resources",
    });
  }
  const { limits, requests } = resources as {
    limits?: Record<string, unknown>;
    requests?: Record<string, unknown>;
  };
  const pick = (key: "cpu" | "memory") => {
    if (limits?.[key] !== undefined) return { value: limits[key], field: `template.resources.limits.${key}` };
    if (requests?.[key] !== undefined)
      return { value: requests[key], field: `template.resources.requests.${key}` };
    return undefined;
  };
  const cpu = pick("cpu");
  const memory = pick("memory");
  const pids = limits?.pids;
  return {
    ...(pids === undefined ? {} : { pidsLimit: parsePids(pids) }),
    ...(cpu === undefined ? {} : { cpus: parseQuantity(cpu.value, cpu.field) }),
    // Whole MiB, rounded up: the engines take bytes, but a limit below what was asked would surprise.
    ...(memory === undefined
      ? {}
      : { memoryMiB: Math.ceil(parseQuantity(memory.value, memory.field) / 2 ** 20) }),
  };
}

function parsePids(value: unknown): number {
  const pids = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof pids !== "number" || !Number.isSafeInteger(pids) || pids <= 0) {
    throw new InvalidArgumentError(
      `template.resources.limits.pids: ${JSON.stringify(value)} must be a whole number of processes above zero`,
      { field: "template.resources.limits.pids" },
    );
  }
  return pids;
}
