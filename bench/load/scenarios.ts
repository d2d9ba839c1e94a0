/**
 * The load scenarios, each as a user's code would do it through `OpenShell.connect()` to one local
 * gateway: many unary calls at once, many execs at once across ready sandboxes, many port forwards
 * at once each echoing 1 MiB. Every operation is timed on its own; a failed one is counted and
 * described, never thrown, so one error does not hide the rest of the figures.
 */

import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect } from "node:net";
import type { OpenShell, Sandbox } from "../../src/index.js";
import { describe } from "../shared/gateway-child.js";

export interface ScenarioResult {
  operations: number;
  /** Failed operations, by description. */
  errors: Map<string, number>;
  /** Wall time of each successful operation (ms). */
  latencies: number[];
  /** The same, by the kind of operation where a scenario mixes kinds. */
  byKind: Map<string, number[]>;
  /** Sum of the waves' wall times (ms): throughput is operations over this. */
  wallMs: number;
  waves: number;
  /** Payload bytes moved each way (forwards). */
  bytes: number;
}

export const emptyResult = (): ScenarioResult => ({
  operations: 0,
  errors: new Map(),
  latencies: [],
  byKind: new Map(),
  wallMs: 0,
  waves: 0,
  bytes: 0,
});

export const errorCount = (r: ScenarioResult): number => [...r.errors.values()].reduce((a, b) => a + b, 0);

/** Runs each wave's operations all at once and adds them to `result`. */
async function waves(
  result: ScenarioResult,
  count: number,
  perWave: number,
  /** Resolves with the operation's kind when the scenario mixes kinds. */
  operation: (index: number) => Promise<unknown>,
): Promise<ScenarioResult> {
  for (let wave = 0; wave < count; wave++) {
    const t = performance.now();
    await Promise.all(
      Array.from({ length: perWave }, async (_, i) => {
        const start = performance.now();
        result.operations++;
        try {
          const kind = await operation(i);
          const latency = performance.now() - start;
          result.latencies.push(latency);
          if (typeof kind === "string") {
            const kindLatencies = result.byKind.get(kind) ?? [];
            kindLatencies.push(latency);
            result.byKind.set(kind, kindLatencies);
          }
        } catch (error) {
          const key = describe(error);
          result.errors.set(key, (result.errors.get(key) ?? 0) + 1);
        }
      }),
    );
    result.wallMs += performance.now() - t;
    result.waves++;
  }
  return result;
}

/**
 * `calls` unary calls at once, a third each of Health, GetSandbox (of the given sandboxes, in turn)
 * and ListSandboxes.
 */
export function unaryLoad(os: OpenShell, names: readonly string[], calls: number, count: number) {
  return waves(emptyResult(), count, calls, async (i) => {
    if (i % 3 === 0) {
      const health = await os.health();
      if (health.status !== "healthy") throw new Error(`health says ${health.status}`);
      return "Health";
    } else if (i % 3 === 1) {
      const name = names[i % names.length] as string;
      const info = await os.sandboxes.info(name);
      if (info.name !== name) throw new Error(`GetSandbox ${name} answered ${info.name}`);
      return "GetSandbox";
    } else {
      const listed = await os.sandboxes.list();
      if (listed.length < names.length) throw new Error(`ListSandboxes listed ${listed.length}`);
      return "ListSandboxes";
    }
  });
}

/** `perSandbox` execs at once in each sandbox, each echoing its own token back. */
export function execLoad(sandboxes: readonly Sandbox[], perSandbox: number, count: number) {
  return waves(emptyResult(), count, sandboxes.length * perSandbox, async (i) => {
    const sb = sandboxes[i % sandboxes.length] as Sandbox;
    const token = `exec-${i}`;
    const result = await sb.exec(["echo", token]);
    if (result.exitCode !== 0 || result.stdout !== `${token}\n`) {
      throw new Error(`exec answered exit ${result.exitCode}, stdout ${JSON.stringify(result.stdout)}`);
    }
  });
}

/**
 * `forwards` port forwards at once, spread over the sandboxes: each opens `sb.forward()` to the
 * sandbox's echo server, sends `bytes` of its own random payload through one connection, reads the
 * same bytes back, checks them, and closes.
 */
export async function forwardLoad(
  sandboxes: readonly Sandbox[],
  port: number,
  forwards: number,
  bytes: number,
  count: number,
) {
  const payloads = Array.from({ length: forwards }, () => randomBytes(bytes));
  const result = await waves(emptyResult(), count, forwards, async (i) => {
    const sb = sandboxes[i % sandboxes.length] as Sandbox;
    await using forward = await sb.forward({ port });
    await echoThrough(forward.localPort, payloads[i] as Buffer);
  });
  result.bytes = result.latencies.length * bytes;
  return result;
}

/** How long one echo through a forward, and then its close, may take before it counts as hung. */
const ECHO_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;

/** `promise`, or a rejection saying what did not happen within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends `payload` to 127.0.0.1:port and resolves once the same bytes came back and, after this side
 * half-closed, the connection closed (the sandbox's echo ends when its input does).
 */
async function echoThrough(port: number, payload: Buffer): Promise<void> {
  const socket = connect(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    await once(socket, "connect");
    const closed = once(socket, "close");
    const echoed = new Promise<void>((resolve, reject) => {
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received >= payload.length) resolve();
      });
      socket.once("error", reject);
      socket.once("end", () =>
        reject(new Error(`the echo ended after ${received} of ${payload.length} bytes`)),
      );
    });
    socket.write(payload);
    await within(echoed, ECHO_TIMEOUT_MS, () => `no full echo (${received} bytes)`);
    const back = Buffer.concat(chunks);
    if (back.length !== payload.length || !back.equals(payload)) {
      throw new Error(`the echo differs from what was sent (${back.length} bytes back)`);
    }
    socket.end();
    await within(closed, CLOSE_TIMEOUT_MS, () => "the connection did not close after the half-close");
  } finally {
    socket.destroy();
  }
}
