/**
 * The parent side of the benchmark's child processes (client-child.ts, local-child.ts): forks a
 * bundle entry beside this one and waits for the one message it sends back. Each part runs in a
 * process of its own so the RSS it reports is the SDK's, not this harness's or another part's.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import type { Transfer } from "./measure.js";
import type { Samples } from "./samples.js";

/** Samples as they cross IPC: maps as entry lists. */
export type SerializedSamples = [measure: string, ways: [way: string, transfers: Transfer[]][]][];

export function serializeSamples(samples: Samples): SerializedSamples {
  return [...samples].map(([measure, ways]) => [measure, [...ways]]);
}

export function deserializeSamples(serialized: SerializedSamples): Samples {
  return new Map(serialized.map(([measure, ways]) => [measure, new Map(ways)]));
}

/**
 * Forks `entry` (a file name beside this bundle) with `args`, resolves with its one message once it
 * has exited. A kill is on `closers` meanwhile, so Ctrl-C or a failure elsewhere ends the child.
 */
export async function runPartProcess<T>(
  entry: string,
  args: string[],
  closers: (() => Promise<unknown>)[],
): Promise<T> {
  const script = process.argv[1];
  if (script === undefined) throw new Error("cannot tell where the benchmark's bundle is");
  const child = fork(join(dirname(script), entry), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  closers.unshift(kill);
  const exited = once(child, "exit");
  const [message] = (await Promise.race([
    once(child, "message"),
    exited.then(([code]) => {
      throw new Error(`the ${entry} process exited (${String(code)}) before it sent its result`);
    }),
  ])) as [T];
  await exited;
  closers.splice(closers.indexOf(kill), 1);
  return message;
}

/** Sends a child's one result to its parent and waits until it has gone out. */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    process.send?.(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}
