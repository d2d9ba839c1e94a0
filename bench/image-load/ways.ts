/**
 * The two ways of moving the benchmark's image from Docker into Podman, and the engine chores
 * around them (building the image, removing it), all through the engines' own CLIs so that the
 * SDK's side is only the load it is measured for.
 */
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import type { LoadChildOptions, LoadChildResult } from "./load-child.js";

const run = promisify(execFile);

/** On the benchmark's image, so that a run that died can be cleaned up by the next. */
export const BENCH_LABEL = "openshell.ai/bench=image-load";

export interface Engines {
  dockerSocket: string;
  podmanSocket: string;
}

export const docker = (engines: Engines, args: readonly string[]) =>
  run("docker", ["-H", `unix://${engines.dockerSocket}`, ...args], { maxBuffer: 16 * 1024 * 1024 });
/** Podman's own CLI, on the storage its API service serves (rootful): what a user types. */
export const podman = (_engines: Engines, args: readonly string[]) =>
  run("podman", [...args], { maxBuffer: 16 * 1024 * 1024 });

/**
 * Builds `image` in Docker: the busybox test image plus `mebibytes` of random bytes (incompressible,
 * so neither way gains from compression anywhere). Resolves with its size as Docker reports it.
 */
export async function buildImage(
  engines: Engines,
  base: string,
  image: string,
  mebibytes: number,
): Promise<number> {
  const dockerfile = `FROM ${base}\nRUN head -c ${mebibytes * 1024 * 1024} /dev/urandom > /payload\n`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      "docker",
      ["-H", `unix://${engines.dockerSocket}`, "build", "-q", "--label", BENCH_LABEL, "-t", image, "-"],
      { stdio: ["pipe", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`docker build failed: ${stderr}`)),
    );
    child.stdin.end(dockerfile);
  });
  const { stdout } = await docker(engines, ["image", "inspect", "--format", "{{.Size}}", image]);
  return Number(stdout.trim());
}

/** Removes every image carrying the benchmark's label from both engines; says how many went. */
export async function removeBenchImages(engines: Engines): Promise<number> {
  let removed = 0;
  for (const cli of [docker, podman]) {
    const { stdout } = await cli(engines, ["images", "-q", "--filter", `label=${BENCH_LABEL}`]);
    const ids = [...new Set(stdout.split("\n").filter((id) => id !== ""))];
    if (ids.length > 0) {
      await cli(engines, ["rmi", "-f", ...ids]);
      removed += ids.length;
    }
  }
  return removed;
}

/** Takes the image out of Podman, so the next run moves all of it again. */
export async function removeFromPodman(engines: Engines, image: string): Promise<void> {
  await podman(engines, ["rmi", "-f", image]).catch((error: unknown) => {
    if (!/image not known|no such image/i.test(String(error))) throw error;
  });
}

/**
 * One SDK run: the load in a child process of its own (this same bundle, `load-child`), with
 * `nodeFlags` given to node (none but for the GC experiment).
 */
export async function sdkRun(
  engines: Engines,
  image: string,
  nodeFlags: readonly string[] = [],
): Promise<LoadChildResult> {
  const options: LoadChildOptions = { image, ...engines };
  const { stdout } = await run(
    process.execPath,
    [...nodeFlags, process.argv[1] as string, "load-child", JSON.stringify(options)],
    { maxBuffer: 1024 * 1024 },
  );
  const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as LoadChildResult;
  if (result.alreadyPresent) throw new Error("the image was already in Podman: nothing was moved");
  return result;
}

/**
 * One shell run: `docker save IMAGE | podman load`, as a user types it (Podman's CLI loads into its
 * storage itself; the SDK has to go through Podman's API service), timed around the whole pipeline.
 */
export async function shellRun(engines: Engines, image: string): Promise<number> {
  const pipeline = `set -o pipefail; docker -H unix://${engines.dockerSocket} save ${image} | podman load -q >/dev/null`;
  const start = performance.now();
  await run("bash", ["-c", pipeline]);
  return (performance.now() - start) / 1000;
}
