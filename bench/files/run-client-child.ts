/** The parent side of client-child.ts: forks it beside this bundle and waits for its samples. */
import { fork } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import type { ClientPartInput, SerializedSamples } from "./client-child.js";
import type { Transfer } from "./measure.js";
import type { Samples } from "./samples.js";

export async function runClientChild(
  input: ClientPartInput,
  closers: (() => Promise<unknown>)[],
): Promise<Samples> {
  const script = process.argv[1];
  if (script === undefined) throw new Error("cannot tell where the benchmark's bundle is");
  const child = fork(join(dirname(script), "client-child.js"), ["client", JSON.stringify(input)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  closers.unshift(kill);
  const exited = once(child, "exit");
  const [message] = (await Promise.race([
    once(child, "message"),
    exited.then(([code]) => {
      throw new Error(`the client's process exited (${String(code)}) before it sent its samples`);
    }),
  ])) as [{ samples: SerializedSamples }];
  await exited;
  closers.splice(closers.indexOf(kill), 1);
  return new Map(
    message.samples.map(([measure, ways]) => [
      measure,
      new Map(ways.map(([way, transfers]) => [way, transfers as Transfer[]])),
    ]),
  );
}
