/**
 * A process's memory as a benchmark reports it: read after a full GC (when node runs with
 * --expose-gc), with its peak RSS and its open handles by type, and its CPU use over an idle window.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface MemorySnapshot {
  rss: number;
  /** The process's peak RSS so far (bytes). */
  peakRss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Open handles by type (process.getActiveResourcesInfo): sockets, timers, ... */
  resources: Record<string, number>;
  /** CPU time the process used over an idle window before the snapshot, in % of one core. */
  idleCpuPercent?: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Whether snapshots are taken after a forced full GC (node --expose-gc) or without one. */
export const gcExposed = gc !== undefined;

/** The process's CPU use over `windowMs` while nothing is asked of it, in % of one core. */
export async function idleCpu(windowMs: number): Promise<number> {
  const start = process.cpuUsage();
  const t = performance.now();
  await sleep(windowMs);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / 1000 / (performance.now() - t)) * 100;
}

/** Open handles by type (process.getActiveResourcesInfo). */
export function activeResources(): Record<string, number> {
  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  return resources;
}

/** Sockets among the open handles: TCP, TLS and pipes (unix sockets, the IPC channel). */
export const socketCount = (resources: Record<string, number>): number =>
  Object.entries(resources)
    .filter(([type]) => /TCP|Pipe|TLS/.test(type))
    .reduce((sum, [, n]) => sum + n, 0);

export async function snapshot(): Promise<MemorySnapshot> {
  // Let finished streams and timers unwind, then collect twice (weak refs and finalizers need two).
  await sleep(200);
  gc?.();
  await sleep(50);
  gc?.();
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    peakRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    resources: activeResources(),
  };
}
