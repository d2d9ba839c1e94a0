/**
 * Which engine a benchmark runs against (`BENCH_RUNTIME=docker|podman`, default docker, at the
 * sockets scripts/engines.sh starts), and the removal by label of whatever a run left behind.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerRuntime } from "../../src/runtime/container-runtime.js";
import type { EngineEndpoint } from "../../src/runtime/engine-endpoint.js";

/** busybox with a non-root USER and WORKDIR: local mode refuses an image that runs as root. */
export const IMAGE = process.env.OPENSHELL_TEST_SANDBOX_IMAGE ?? "openshell-test/sandbox:1";
/** On every container and network a benchmark makes, whichever way makes it. */
export const BENCH_LABEL_KEY = "openshell.ai/bench";
/** `openshell.ai/bench=<name>`: each benchmark its own value, so one never removes another's objects. */
export const benchLabels = (name: string): Record<string, string> => ({ [BENCH_LABEL_KEY]: name });

export type BenchRuntime = "docker" | "podman";

export interface BenchEngine {
  kind: BenchRuntime;
  endpoint: EngineEndpoint;
  socketPath: string;
}

export function benchEngine(): BenchEngine {
  const kind = process.env.BENCH_RUNTIME ?? "docker";
  if (kind !== "docker" && kind !== "podman") {
    throw new Error(`BENCH_RUNTIME must be docker or podman (got ${JSON.stringify(kind)})`);
  }
  const url =
    kind === "docker"
      ? (process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock")
      : (process.env.OPENSHELL_TEST_PODMAN_HOST ?? "unix:///run/podman/podman.sock");
  if (!url.startsWith("unix://")) throw new Error(`the benchmark needs a unix socket endpoint, got ${url}`);
  const socketPath = url.slice("unix://".length);
  return { kind, endpoint: { kind: "unix", socketPath }, socketPath };
}

/** Removes every container, then every network, carrying these labels; says how many went. */
export async function removeBenchObjects(
  runtime: ContainerRuntime,
  labels: Record<string, string>,
): Promise<number> {
  const containers = await runtime.listContainers({ labels });
  const removed = await Promise.allSettled(
    containers.map((c) => runtime.removeContainer(c.id, { force: true })),
  );
  const networks = await runtime.listNetworks({ labels });
  removed.push(...(await Promise.allSettled(networks.map((n) => removeNetwork(runtime, n.id)))));
  return removed.filter((r) => r.status === "fulfilled").length;
}

/**
 * Removes a network, trying again for a few seconds while the engine still counts an endpoint of a
 * container it has just removed ("has active endpoints").
 */
export async function removeNetwork(runtime: ContainerRuntime, idOrName: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await runtime.removeNetwork(idOrName);
      return;
    } catch (error) {
      if (attempt >= 10 || !/active endpoints/.test(String(error))) throw error;
      await sleep(500);
    }
  }
}
