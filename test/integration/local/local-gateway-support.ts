import { expect } from "vitest";
import type { LocalOptions } from "../../../src/index.js";
import { GATEWAY_LABEL } from "../../../src/local/gateway-identity.js";
import { SANDBOX_ID_LABEL } from "../../../src/local/sandboxes/sandbox-container.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import type { LocalEngine } from "./local-engine.js";

export type LocalKind = "docker" | "podman";

/** What the parts of the suite share: the engine, a driver of their own to look behind the gateway. */
export interface LocalSuiteContext {
  engine: LocalEngine;
  /** Options that reach this engine, for `OpenShell.local()`. */
  readonly local: LocalOptions;
  /** A driver of the test's own (not the gateway's), to look at and tamper with containers. */
  runtime(): ContainerRuntime;
  /** A fresh directory, removed after the suite. */
  tempDir(prefix: string): string;
}

/** A main command that keeps running and exits at once on SIGTERM (a bare `sleep` as PID 1 ignores it). */
export const IDLE = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"];

export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(16).slice(2, 8)}`.slice(0, 19);
}

/** Polls `probe` until it returns something other than undefined. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Containers the runtime holds for a gateway, found by the label the gateway puts on them. */
export async function containersOf(runtime: ContainerRuntime, gatewayId: string) {
  return runtime.listContainers({ labels: { [GATEWAY_LABEL]: gatewayId } });
}

/** Everything of a gateway left in the runtime, as readable strings (empty when clean). */
export async function leftovers(runtime: ContainerRuntime, gatewayId: string): Promise<string[]> {
  const labels = { [GATEWAY_LABEL]: gatewayId };
  return [
    ...(await runtime.listContainers({ labels })).map((c) => `container ${c.name}`),
    ...(await runtime.listNetworks({ labels })).map((n) => `network ${n.name}`),
    ...(await runtime.listVolumes({ labels })).map((v) => `volume ${v.name}`),
  ];
}

export async function containerOfSandbox(runtime: ContainerRuntime, sandboxId: string) {
  const [container, ...more] = await runtime.listContainers({ labels: { [SANDBOX_ID_LABEL]: sandboxId } });
  expect(more).toEqual([]);
  if (container === undefined) throw new Error(`no container for sandbox ${sandboxId}`);
  return container;
}
