/**
 * The parent side of the parts that run in processes of their own: it imports only their types,
 * so the harness's bundle never runs a child's entry code.
 */
import type { ClientPartInput } from "./client-child.js";
import type { FreshInput, FreshResult } from "./fresh-process.js";
import type { LocalPartInput } from "./local-child.js";
import type { LocalDockerRun } from "./local-docker.js";
import { deserializeSamples, runPartProcess, type SerializedSamples } from "./part-process.js";
import type { Samples } from "./samples.js";

type Closers = (() => Promise<unknown>)[];

/** The test gateway part (client-child.js): the client alone in its process. */
export async function runClientChild(input: ClientPartInput, closers: Closers): Promise<Samples> {
  const { samples } = await runPartProcess<{ samples: SerializedSamples }>(
    "client-child.js",
    ["client", JSON.stringify(input)],
    closers,
  );
  return deserializeSamples(samples);
}

/** Local mode's rounds (local-child.js): the SDK and its embedded gateway in their process. */
export async function runLocalChild(
  input: LocalPartInput,
  closers: Closers,
): Promise<LocalDockerRun & { rssStartMiB: number }> {
  const run = await runPartProcess<
    Omit<LocalDockerRun, "samples"> & { samples: SerializedSamples; rssStartMiB: number }
  >("local-child.js", ["rounds", JSON.stringify(input)], closers);
  return { ...run, samples: deserializeSamples(run.samples) };
}

/** One transfer in a fresh process (local-child.js `fresh`). */
export function runFreshChild(input: FreshInput, closers: Closers): Promise<FreshResult> {
  return runPartProcess<FreshResult>("local-child.js", ["fresh", JSON.stringify(input)], closers);
}
