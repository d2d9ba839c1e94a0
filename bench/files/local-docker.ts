/**
 * Part 1: `sb.files` in local mode on Docker beside what a user would otherwise run against the
 * same container: `docker cp` in and out, and `docker exec` with the file as its stdin or stdout
 * (the same exec path the SDK rides, without the SDK). The SDK side is `OpenShell.local()` in this
 * process (local-child.ts, a process of its own: the embedded gateway's CPU and memory count),
 * `upload()` of a file on disk and `download()` to disk, into a sandbox whose whole root is
 * writable (where `docker cp` works too)
 * and into one with local mode's default policy (a read-only root, `/tmp` a tmpfs: where `docker
 * cp` does not work). The docker CLI runs with files as its stdin and stdout.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { OpenShell } from "../../src/index.js";
import { benchEngine, benchLabels, IMAGE } from "../shared/engine.js";
import {
  drainStdout,
  expectSize,
  type FileToMove,
  fileSha256,
  MiB,
  runTool,
  timeTransfer,
} from "./measure.js";
import { alternate, type Samples } from "./samples.js";

/** The SDK's upload confirmed by size alone (`verify: "size"`), into the writable-root sandbox. */
export const SIZE_ONLY_WAY = 'sdk, verify: "size"';

/** The SDK's way into and out of the sandbox with local mode's default policy. */
export const DEFAULT_POLICY_WAY = "sdk, default policy";

/** Every sandbox container of this benchmark carries it, so a run can remove what it left. */
export const FILES_LABELS = benchLabels("files");

export interface LocalDockerRun {
  samples: Samples;
  dockerVersion: string;
  /** RSS of this process with the gateway up and the sandbox ready, before any transfer. */
  rssReadyMiB: number;
  /** ms `md5sum` of the uploaded file takes in the container, per round (what a write's confirm runs). */
  md5sumMs: number[];
}

/** Closers run at the end and on Ctrl-C (see runBench); this part removes its own when done. */
export async function benchLocalDocker(
  file: FileToMove,
  warmup: FileToMove,
  rounds: number,
  localDir: string,
  closers: (() => Promise<unknown>)[],
): Promise<LocalDockerRun> {
  const engine = benchEngine();
  if (engine.kind !== "docker") throw new Error("bench:files compares with docker cp: run it on Docker");
  const docker = (args: string[], files?: { stdin?: string; stdout?: string }) =>
    runTool(process.env.BENCH_DOCKER_CLI ?? "docker", ["-H", `unix://${engine.socketPath}`, ...args], files);
  const dockerVersion = (await docker(["version", "--format", "{{.Server.Version}}"])).trim();
  const os = await OpenShell.local({
    runtime: "docker",
    runtimeOptions: { endpoint: engine.endpoint },
    ephemeral: true,
  });
  closers.unshift(() => os.close());
  const sb = await os.sandboxes.create({
    name: `bench-files-${process.pid}`,
    image: IMAGE,
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
    containerLabels: FILES_LABELS,
    // docker cp refuses a container whose root is read-only (local mode's default) and cannot see
    // the tmpfs mounts that make /sandbox and /tmp writable there; with the whole root writable
    // there are no such mounts, so every way writes the same overlay filesystem.
    policy: { filesystem: { readWrite: ["/"] } },
  });
  // Local mode's default filesystem policy: the root read-only, /tmp and /sandbox on tmpfs.
  const sbDefault = await os.sandboxes.create({
    name: `bench-fdef-${process.pid}`,
    image: IMAGE,
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
    containerLabels: FILES_LABELS,
  });
  await Promise.all([sb.ready({ timeoutMs: 60_000 }), sbDefault.ready({ timeoutMs: 60_000 })]);
  const label = Object.entries(FILES_LABELS).map(([k, v]) => `${k}=${v}`)[0] ?? "";
  const found = (
    await docker(["ps", "-q", "--filter", `label=${label}`, "--filter", `name=bench-files-${process.pid}`])
  )
    .trim()
    .split("\n");
  const container = found[0] ?? "";
  if (found.length !== 1 || container === "")
    throw new Error(`expected one container labelled ${label}, found ${JSON.stringify(found)}`);

  // /tmp is the one folder the image's user (1000) may write (its /sandbox is root's); a name per
  // way so none reads another's file.
  const remote = { sdk: "/tmp/bench-sdk.bin", cp: "/tmp/bench-cp.bin", exec: "/tmp/bench-exec.bin" };
  const remoteDefault = "/tmp/bench-sdk-default.bin";
  const local = {
    sdk: join(localDir, "down-sdk.bin"),
    sdkDefault: join(localDir, "down-sdk-default.bin"),
    cp: join(localDir, "down-cp.bin"),
    exec: join(localDir, "down-exec.bin"),
  };
  const clear = async () => {
    // As root: docker's files are root's, which the sandbox's user may not remove from /tmp.
    await docker(["exec", "-u", "0", container, "rm", "-f", ...Object.values(remote)]);
    await sbDefault.files.remove(remoteDefault, { force: true });
    for (const path of Object.values(local)) await rm(path, { force: true });
  };
  const upload = {
    sdk: (from: FileToMove) => async (mark: () => void) => {
      // The last byte handed to the exec's stdin; what follows is the sandbox's confirm and rename.
      await sb.files.upload(from.path, remote.sdk, { onProgress: (p) => p.bytes === from.bytes && mark() });
    },
    sdkSize: (from: FileToMove) => async (mark: () => void) => {
      await sb.files.upload(from.path, remote.sdk, {
        verify: "size",
        onProgress: (p) => p.bytes === from.bytes && mark(),
      });
    },
    sdkDefault: (from: FileToMove) => async (mark: () => void) => {
      await sbDefault.files.upload(from.path, remoteDefault, {
        onProgress: (p) => p.bytes === from.bytes && mark(),
      });
    },
    cp: (from: FileToMove) => async () => void (await docker(["cp", from.path, `${container}:${remote.cp}`])),
    exec: (from: FileToMove) => async () =>
      void (await docker(["exec", "-i", container, "sh", "-c", 'cat > "$1"', "sh", remote.exec], {
        stdin: from.path,
      })),
  };
  const download = {
    // The first byte's arrival: the exec started and the size header read.
    sdk: async (mark: () => void) =>
      void (await sb.files.download(remote.sdk, local.sdk, { onProgress: mark })),
    sdkDefault: async (mark: () => void) =>
      void (await sbDefault.files.download(remoteDefault, local.sdkDefault, { onProgress: mark })),
    cp: async () => void (await docker(["cp", `${container}:${remote.cp}`, local.cp])),
    exec: async () => void (await docker(["exec", container, "cat", remote.exec], { stdout: local.exec })),
  };
  const stdout = {
    sdk: (n: number) => () => drainStdout(sb, ["cat", remote.sdk], n),
    exec: async () => void (await docker(["exec", container, "cat", remote.exec], { stdout: "/dev/null" })),
  };

  // Warm-up on a small file: JIT, the exec path, the docker CLI's first start.
  await clear();
  const ways = ["sdk", "sdkDefault", "cp", "exec"] as const;
  for (const way of ways) await upload[way](warmup)(() => undefined);
  for (const way of ways) await download[way](() => undefined);
  await stdout.sdk(warmup.bytes)();
  const rssReadyMiB = process.memoryUsage().rss / MiB;

  const samples: Samples = new Map();
  const md5sumMs: number[] = [];
  const n = file.bytes;
  const [up, down, out] = [
    `upload ${n / MiB} MiB`,
    `download ${n / MiB} MiB`,
    `exec stdout (cat) ${n / MiB} MiB`,
  ];
  for (let round = 0; round < rounds; round++) {
    await clear();
    await alternate(samples, round, [
      [up, "sdk", () => timeTransfer(n, upload.sdk(file))],
      [up, SIZE_ONLY_WAY, () => timeTransfer(n, upload.sdkSize(file))],
      [up, DEFAULT_POLICY_WAY, () => timeTransfer(n, upload.sdkDefault(file))],
      [up, "docker cp", () => timeTransfer(n, upload.cp(file))],
      [up, "docker exec", () => timeTransfer(n, upload.exec(file))],
    ]);
    await alternate(samples, round, [
      [down, "sdk", () => timeTransfer(n, download.sdk)],
      [down, DEFAULT_POLICY_WAY, () => timeTransfer(n, download.sdkDefault)],
      [down, "docker cp", () => timeTransfer(n, download.cp)],
      [down, "docker exec", () => timeTransfer(n, download.exec)],
    ]);
    for (const [what, path] of Object.entries(local)) await expectSize(path, n, `${what} download`);
    await alternate(samples, round, [
      [out, "sdk", () => timeTransfer(n, stdout.sdk(n))],
      [out, "docker exec", () => timeTransfer(n, stdout.exec)],
    ]);
    const t = performance.now();
    await docker(["exec", container, "md5sum", remote.sdk]);
    md5sumMs.push(performance.now() - t);
  }
  // Every way moved the same bytes both ways (checked once, untimed).
  for (const path of Object.values(local))
    if ((await fileSha256(path)) !== file.sha256) throw new Error(`${path} differs from ${file.path}`);
  await clear();
  await closers.shift()?.();
  return { samples, dockerVersion, rssReadyMiB, md5sumMs };
}
