/**
 * One transfer in a process that has done nothing else: `OpenShell.local()` on Docker, one sandbox,
 * one 256 MiB upload or download, as a program that starts, moves a file and ends would. The peak
 * is the kernel's (VmHWM), reset just before the transfer (`/proc/self/clear_refs`), so it counts
 * only what the transfer raised the process to. A download's file is put in place first by the
 * docker CLI, so none of its bytes pass through this process before the measured transfer.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { OpenShell } from "../../src/index.js";
import { benchEngine, IMAGE } from "../shared/engine.js";
import { FILES_LABELS } from "./local-docker.js";
import { type FileToMove, fileSha256, MiB, runTool, timeTransfer } from "./measure.js";

/** The transfers measured each in a fresh process. */
export const FRESH_WAYS = [
  "upload",
  'upload, verify: "size"',
  "download",
  "upload, default policy",
  "download, default policy",
] as const;
export type FreshWay = (typeof FRESH_WAYS)[number];

export interface FreshInput {
  way: FreshWay;
  file: FileToMove;
  localDir: string;
}

/** What one fresh process saw. */
export interface FreshResult {
  way: FreshWay;
  mibPerSecond: number;
  /** RSS when the process started (the SDK imported), and with the sandbox ready. */
  rssStartMiB: number;
  rssReadyMiB: number;
  /** The kernel's peak RSS during the transfer alone. */
  peakMiB: number;
}

/** The kernel's record of this process's peak RSS, in MiB. */
function vmHwmMiB(): number {
  const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  if (kib === undefined) throw new Error("no VmHWM in /proc/self/status");
  return Number(kib) / 1024;
}

export async function runFresh(input: FreshInput, rssStartMiB: number): Promise<FreshResult> {
  const { way, file, localDir } = input;
  const engine = benchEngine();
  const docker = (args: string[], files?: { stdin?: string }) =>
    runTool(process.env.BENCH_DOCKER_CLI ?? "docker", ["-H", `unix://${engine.socketPath}`, ...args], files);
  const defaultPolicy = way.endsWith("default policy");
  const os = await OpenShell.local({
    runtime: "docker",
    runtimeOptions: { endpoint: engine.endpoint },
    ephemeral: true,
  });
  try {
    const name = `bench-fresh-${process.pid}`;
    const sb = await os.sandboxes.create({
      name,
      image: IMAGE,
      command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
      containerLabels: FILES_LABELS,
      ...(defaultPolicy ? {} : { policy: { filesystem: { readWrite: ["/"] } } }),
    });
    await sb.ready({ timeoutMs: 60_000 });
    const remote = "/tmp/bench-fresh.bin";
    const local = join(localDir, `fresh-${process.pid}.bin`);
    const download = way.startsWith("download");
    if (download) {
      const container = (await docker(["ps", "-q", "--filter", `name=${name}`])).trim();
      // /tmp is a tmpfs under the default policy, where docker cp does not reach: exec's stdin does.
      await docker(["exec", "-i", container, "sh", "-c", 'cat > "$1"', "sh", remote], { stdin: file.path });
    }
    const rssReadyMiB = process.memoryUsage().rss / MiB;
    // Linux: writing 5 resets VmHWM to the current RSS, so the peak read after is the transfer's.
    writeFileSync("/proc/self/clear_refs", "5");
    const transfer = await timeTransfer(file.bytes, async () => {
      if (download) await sb.files.download(remote, local);
      else await sb.files.upload(file.path, remote, way.includes('"size"') ? { verify: "size" } : {});
    });
    const peakMiB = vmHwmMiB();
    if (download && (await fileSha256(local)) !== file.sha256) throw new Error(`${way}: ${local} differs`);
    await rm(local, { force: true });
    return { way, mibPerSecond: transfer.mibPerSecond, rssStartMiB, rssReadyMiB, peakMiB };
  } finally {
    await os.close();
  }
}
