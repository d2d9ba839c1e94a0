/**
 * The SDK side of the image-load benchmark, in a process of its own that does nothing but the load,
 * so that its peak RSS is the load's (plus Node and the SDK loaded, measured just before). It
 * connects to both engines, reads its VmHWM, runs `loadImage` Docker -> Podman, and prints one JSON
 * line: the load's wall time, the kernel's peak RSS (VmHWM) before and after, and the highest RSS
 * it sampled every 10 ms during the load.
 */
import { readFileSync } from "node:fs";
import { loadImage } from "../../adapters/image/load/load-image.js";
import { createRuntime } from "../../src/runtime/create-runtime.js";

export interface LoadChildOptions {
  image: string;
  dockerSocket: string;
  podmanSocket: string;
}

export interface LoadChildResult {
  seconds: number;
  bytes: number;
  alreadyPresent: boolean;
  /** VmHWM once connected to both engines, before the load: Node, the SDK and two clients. */
  hwmBeforeBytes: number;
  /** VmHWM after the load: the process's peak RSS over its whole life. */
  hwmAfterBytes: number;
  /** The highest `process.memoryUsage().rss` sampled during the load. */
  sampledPeakBytes: number;
  /** The highest `arrayBuffers` sampled (Buffers: the archive's chunks, live or awaiting GC). */
  sampledPeakArrayBuffersBytes: number;
  /** The highest `heapUsed` sampled. */
  sampledPeakHeapBytes: number;
  /** CPU time this process spent during the load (user + system). */
  cpuSeconds: number;
}

/** VmHWM from /proc/self/status: the peak resident set size the kernel recorded for this process. */
function vmHwmBytes(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
  if (match === null) throw new Error("no VmHWM in /proc/self/status (the benchmark needs Linux)");
  return Number(match[1]) * 1024;
}

export async function runLoadChild(optionsJson: string): Promise<void> {
  const options = JSON.parse(optionsJson) as LoadChildOptions;
  const docker = await createRuntime({
    runtime: "docker",
    endpoint: { kind: "unix", socketPath: options.dockerSocket },
  });
  const podman = await createRuntime({
    runtime: "podman",
    endpoint: { kind: "unix", socketPath: options.podmanSocket },
  });
  try {
    const hwmBeforeBytes = vmHwmBytes();
    let sampledPeakBytes = 0;
    let sampledPeakArrayBuffersBytes = 0;
    let sampledPeakHeapBytes = 0;
    const sample = () => {
      const usage = process.memoryUsage();
      sampledPeakBytes = Math.max(sampledPeakBytes, usage.rss);
      sampledPeakArrayBuffersBytes = Math.max(sampledPeakArrayBuffersBytes, usage.arrayBuffers);
      sampledPeakHeapBytes = Math.max(sampledPeakHeapBytes, usage.heapUsed);
    };
    sample();
    const sampler = setInterval(sample, 10);
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const loaded = await loadImage(docker, { image: options.image, into: podman });
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    const result: LoadChildResult = {
      seconds,
      bytes: loaded.bytes,
      alreadyPresent: loaded.alreadyPresent,
      hwmBeforeBytes,
      hwmAfterBytes: vmHwmBytes(),
      sampledPeakBytes,
      sampledPeakArrayBuffersBytes,
      sampledPeakHeapBytes,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await docker.close();
    await podman.close();
  }
}
