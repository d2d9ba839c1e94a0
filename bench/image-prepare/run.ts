/**
 * prepareImage beside the hand-written alternative, in one process, rounds alternating: the Debian
 * test image made OpenShell-ready (iproute2 with apt-get inside the build, a sandbox user and group,
 * USER sandbox) by `prepareImage` (inspect, build, run the result to verify, tag), and by the
 * Dockerfile a person would write for the same thing, built with the engine's own CLI
 * (`docker build` / `podman build`). Every round builds cold: both results are removed after each
 * round, so neither side reuses the other's (or its own) build cache.
 *
 *   npm run bench:image-prepare          (BENCH_QUICK=1: 2 rounds per side, Docker only)
 *
 * The rounds download the same packages from the Debian archive, so the network's variance lands on
 * both sides; medians of alternating rounds keep it from favouring one.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { prepareImage } from "openshell/adapters/image";
import { type ContainerRuntime, createRuntime } from "openshell/runtime";
import { loadAverage } from "../shared/machine.js";
import { median } from "../shared/rounds.js";

const run = promisify(execFile);
const quick = process.env.BENCH_QUICK === "1";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 4));
const BASE = process.env.OPENSHELL_TEST_DEBIAN_IMAGE ?? "openshell-test/debian:bookworm";
const ENGINES = (process.env.BENCH_ENGINES ?? (quick ? "docker" : "docker,podman")).split(",") as (
  | "docker"
  | "podman"
)[];
const SDK_TAG = "openshell-bench/prepared-sdk:1";
const HAND_TAG = "openshell-bench/prepared-hand:1";

/**
 * What a person writes to make the Debian image ready by hand: the same packages, user and USER.
 * Each round's user id is its own (on both sides), so no round can reuse a build cache entry: Podman
 * keeps a build's intermediate layers after its image is removed.
 */
const handWritten = (id: number) =>
  [
    `FROM ${BASE}`,
    "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 " +
      `&& rm -rf /var/lib/apt/lists/* && groupadd --gid ${id} sandbox ` +
      `&& useradd --uid ${id} --gid ${id} --home-dir /sandbox --create-home --shell /bin/sh sandbox`,
    "USER sandbox",
    "",
  ].join("\n");
/** A user id no earlier run of this benchmark used, so neither side finds a cached build. */
const freshId = (() => {
  let next = 20_000 + (Date.now() % 10_000) * 4;
  return () => next++;
})();

async function removeResults(cli: string): Promise<void> {
  await run(cli, ["rmi", "-f", SDK_TAG, HAND_TAG]).catch(() => {});
}

async function sdkRound(runtime: ContainerRuntime, id: number): Promise<number> {
  const started = performance.now();
  const result = await prepareImage(runtime, { image: BASE, tag: SDK_TAG, user: { uid: id, gid: id } });
  if (!result.changed || !result.inspection.ready)
    throw new Error("prepareImage did not build a ready image");
  return (performance.now() - started) / 1000;
}

async function handRound(cli: string, id: number): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = execFile(cli, ["build", "-q", "-t", HAND_TAG, "-"], (error) =>
      error ? reject(error) : resolve(),
    );
    child.stdin?.end(handWritten(id));
  });
  return (performance.now() - started) / 1000;
}

async function bench(kind: "docker" | "podman"): Promise<string> {
  const runtime = await createRuntime({ runtime: kind });
  try {
    await removeResults(kind);
    const sdk: number[] = [];
    const hand: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so a slow minute of the mirror falls on both alike.
      const order = round % 2 === 0 ? ["sdk", "hand"] : ["hand", "sdk"];
      for (const side of order) {
        const id = freshId();
        const seconds = side === "sdk" ? await sdkRound(runtime, id) : await handRound(kind, id);
        (side === "sdk" ? sdk : hand).push(seconds);
        console.error(`  ${kind} round ${round + 1}: ${side} ${seconds.toFixed(1)} s`);
        await removeResults(kind);
      }
    }
    const ratio = median(sdk) / median(hand);
    return `| ${kind} | ${median(sdk).toFixed(1)} s | ${median(hand).toFixed(1)} s | ${ratio.toFixed(2)}x | ${sdk.map((s) => s.toFixed(1)).join(", ")} / ${hand.map((s) => s.toFixed(1)).join(", ")} |`;
  } finally {
    await removeResults(kind);
    await runtime.close();
  }
}

async function main(): Promise<void> {
  console.log(`prepareImage vs a hand-written Dockerfile, ${ROUNDS} cold rounds per side, base ${BASE}`);
  console.log(`load average before: ${loadAverage()}`);
  const rows: string[] = [];
  for (const kind of ENGINES) rows.push(await bench(kind));
  console.log(
    "| engine | prepareImage (median) | hand-written build (median) | ratio | rounds (s): SDK / hand |",
  );
  console.log("| --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
  console.log(`load average after: ${loadAverage()}`);
}

await main();
