/**
 * The test gateway part in a process of its own (a bundle entry of its own, so it loads only the
 * SDK's client and this part's code): the RSS it reports is then what a program that only uses the
 * client holds, not this benchmark's other parts or local mode. It forks the test gateway as its
 * own child (this same bundle with `test-gateway` as its first argument), takes the files to move
 * as JSON in its second argument, and sends its samples back over IPC.
 */
import type { FileToMove } from "./measure.js";
import { sendToParent, serializeSamples } from "./part-process.js";
import type { Samples } from "./samples.js";
import { benchTestGateway } from "./test-gateway.js";
import { CHILD_ARGUMENT, runGatewayChild } from "./test-gateway-child.js";

/** What the parent passes: the files, the rounds, and a local folder for downloads. */
export interface ClientPartInput {
  file: FileToMove;
  warmup: FileToMove;
  rounds: number;
  localDir: string;
}

async function runClientPart(input: ClientPartInput): Promise<void> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const samples: Samples = await benchTestGateway(
      input.file,
      input.warmup,
      input.rounds,
      input.localDir,
      closers,
    );
    await sendToParent({ samples: serializeSamples(samples) });
  } finally {
    for (const close of closers.splice(0)) await close().catch((e: unknown) => console.error(e));
  }
}

const [, , what, json] = process.argv;
const run =
  what === CHILD_ARGUMENT ? runGatewayChild() : runClientPart(JSON.parse(json ?? "{}") as ClientPartInput);
run.then(
  () => {
    if (what !== CHILD_ARGUMENT) process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
