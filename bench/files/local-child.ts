/**
 * Local mode's parts in processes of their own (a bundle entry that loads the SDK and these parts
 * only), so the RSS they report is the SDK's with its embedded gateway, not this benchmark's test
 * gateway part or its harness: `rounds` runs local-docker.ts's rounds; `fresh` one transfer in a
 * process that does nothing else (fresh-process.ts). The input is JSON in the second argument; the
 * result goes back over IPC.
 */
import { type FreshInput, runFresh } from "./fresh-process.js";
import { benchLocalDocker } from "./local-docker.js";
import { type FileToMove, MiB } from "./measure.js";
import { sendToParent, serializeSamples } from "./part-process.js";

/** What the parent passes to a `rounds` child. */
export interface LocalPartInput {
  file: FileToMove;
  warmup: FileToMove;
  rounds: number;
  localDir: string;
}

// Before anything else runs: the SDK is imported (ES modules load first), nothing is started.
const rssStartMiB = process.memoryUsage().rss / MiB;

async function runRounds(input: LocalPartInput): Promise<void> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const run = await benchLocalDocker(input.file, input.warmup, input.rounds, input.localDir, closers);
    await sendToParent({ ...run, samples: serializeSamples(run.samples), rssStartMiB });
  } finally {
    for (const close of closers.splice(0)) await close().catch((e: unknown) => console.error(e));
  }
}

const [, , mode, json] = process.argv;
const input = JSON.parse(json ?? "{}") as unknown;
const run =
  mode === "fresh"
    ? runFresh(input as FreshInput, rssStartMiB).then((result) => sendToParent(result))
    : runRounds(input as LocalPartInput);
run.then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
