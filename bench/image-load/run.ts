/**
 * loadImage Docker -> Podman beside the hand-written `docker save IMAGE | podman load`, on an image
 * of ~500 MiB of random bytes built for the run (and removed after it). Runs alternate between the
 * two ways, each starting with the image absent from Podman. The SDK's runs are each a child process
 * that does only the load, so its peak RSS (the kernel's VmHWM) is the load's and not the harness's.
 *
 *   npm run bench:image-load          (BENCH_QUICK=1: 64 MiB, one run each; BENCH_IMAGE_MIB, BENCH_RUNS)
 *
 * Goals (issue 12): the SDK within 1.10x of the shell pipeline, and its peak RSS under 100 MiB.
 */
import { version } from "node:process";
import { loadAverage } from "../shared/machine.js";
import { median, mib } from "../shared/rounds.js";
import { runLoadChild } from "./load-child.js";
import {
  buildImage,
  docker,
  type Engines,
  podman,
  removeBenchImages,
  removeFromPodman,
  sdkRun,
  shellRun,
} from "./ways.js";

const quick = process.env.BENCH_QUICK === "1";
const IMAGE_MIB = Number(process.env.BENCH_IMAGE_MIB ?? (quick ? 64 : 500));
const RUNS = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 3));
const IMAGE = `openshell-bench/image-load:${process.pid}`;
const BASE = process.env.OPENSHELL_TEST_BUSYBOX_IMAGE ?? "openshell-test/busybox:1";
const RATIO_GOAL = 1.1;
/**
 * A young generation this small makes V8 scavenge often, so the archive's chunks (64 KiB each, dead
 * once passed on) are freed sooner: one extra run with it shows how much of the peak is chunks
 * awaiting GC rather than data held. Reported apart; not in the timings.
 */
const SMALL_YOUNG_GENERATION = "--max-semi-space-size=1";
const RSS_GOAL_MIB = 100;

const unixPath = (url: string) => url.replace(/^unix:\/\//, "");
const engines: Engines = {
  dockerSocket: unixPath(process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock"),
  podmanSocket: unixPath(process.env.OPENSHELL_TEST_PODMAN_HOST ?? "unix:///run/podman/podman.sock"),
};

async function main(): Promise<void> {
  const leftovers = await removeBenchImages(engines);
  if (leftovers > 0) console.log(`removed ${leftovers} image(s) left over by an earlier run`);
  const dockerVersion = (await docker(engines, ["version", "--format", "{{.Server.Version}}"])).stdout.trim();
  const podmanVersion = (await podman(engines, ["version", "--format", "{{.Server.Version}}"])).stdout.trim();

  console.log(`building ${IMAGE}: ${BASE} plus ${IMAGE_MIB} MiB of random bytes`);
  const sizeBytes = await buildImage(engines, BASE, IMAGE, IMAGE_MIB);
  const sdk: Awaited<ReturnType<typeof sdkRun>>[] = [];
  const shell: number[] = [];
  let smallYoung: Awaited<ReturnType<typeof sdkRun>> | undefined;
  try {
    // Alternating, the first way changing each round, so that machine noise and a warm page cache
    // fall on both alike.
    for (let round = 0; round < RUNS; round++) {
      const order = round % 2 === 0 ? (["sdk", "shell"] as const) : (["shell", "sdk"] as const);
      for (const way of order) {
        await removeFromPodman(engines, IMAGE);
        if (way === "sdk") {
          const result = await sdkRun(engines, IMAGE);
          sdk.push(result);
          console.log(
            `  round ${round + 1} loadImage: ${result.seconds.toFixed(2)} s, VmHWM ${mib(result.hwmAfterBytes)} MiB`,
          );
        } else {
          const seconds = await shellRun(engines, IMAGE);
          shell.push(seconds);
          console.log(`  round ${round + 1} docker save | podman load: ${seconds.toFixed(2)} s`);
        }
      }
    }
    await removeFromPodman(engines, IMAGE);
    smallYoung = await sdkRun(engines, IMAGE, [SMALL_YOUNG_GENERATION]);
    console.log(
      `  extra loadImage with node ${SMALL_YOUNG_GENERATION}: VmHWM ${mib(smallYoung.hwmAfterBytes)} MiB`,
    );
  } finally {
    await removeBenchImages(engines);
  }
  report({ sizeBytes, sdk, shell, smallYoung, dockerVersion, podmanVersion });
}

function report(figures: {
  sizeBytes: number;
  sdk: Awaited<ReturnType<typeof sdkRun>>[];
  shell: number[];
  smallYoung: Awaited<ReturnType<typeof sdkRun>> | undefined;
  dockerVersion: string;
  podmanVersion: string;
}): void {
  const { sizeBytes, sdk, shell } = figures;
  const sdkSeconds = sdk.map((r) => r.seconds);
  const ratio = median(sdkSeconds) / median(shell);
  const peak = Math.max(...sdk.map((r) => r.hwmAfterBytes));
  const before = Math.max(...sdk.map((r) => r.hwmBeforeBytes));
  const sampled = Math.max(...sdk.map((r) => r.sampledPeakBytes));
  const secondsList = (values: number[]) => values.map((v) => v.toFixed(2)).join(", ");
  const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");

  console.log(
    `\nloadImage Docker -> Podman vs docker save | podman load (Node ${version}, Docker ${figures.dockerVersion}, ` +
      `Podman ${figures.podmanVersion}, load average ${loadAverage()})`,
  );
  console.log(
    `image: ${IMAGE_MIB} MiB of random bytes on busybox, ${mib(sizeBytes)} MiB as Docker sizes it; ` +
      `archive moved ${mib(sdk[0]?.bytes ?? 0)} MiB; ${RUNS} run(s) per way, alternating\n`,
  );
  console.log("| way | median (s) | runs (s) | MiB/s (median) |");
  console.log("|---|---|---|---|");
  const rate = (seconds: number) => ((sdk[0]?.bytes ?? sizeBytes) / 1024 / 1024 / seconds).toFixed(0);
  console.log(
    `| loadImage (SDK) | ${median(sdkSeconds).toFixed(2)} | ${secondsList(sdkSeconds)} | ${rate(median(sdkSeconds))} |`,
  );
  console.log(
    `| docker save \\| podman load | ${median(shell).toFixed(2)} | ${secondsList(shell)} | ${rate(median(shell))} |`,
  );
  console.log("\n| figure | value | goal | verdict |");
  console.log("|---|---|---|---|");
  console.log(
    `| time, SDK / shell (medians) | ${ratio.toFixed(2)}x | <= ${RATIO_GOAL.toFixed(2)}x | ${verdict(ratio <= RATIO_GOAL)} |`,
  );
  console.log(
    `| SDK process peak RSS (VmHWM, highest of the runs) | ${mib(peak)} MiB | < ${RSS_GOAL_MIB} MiB | ` +
      `${verdict(peak < RSS_GOAL_MIB * 1024 * 1024)} |`,
  );
  console.log(
    `| the same process before the load (Node, SDK, two engine clients) | ${mib(before)} MiB | | |`,
  );
  console.log(`| highest RSS sampled every 10 ms during the loads | ${mib(sampled)} MiB | | |`);
  const buffers = Math.max(...sdk.map((r) => r.sampledPeakArrayBuffersBytes));
  const heap = Math.max(...sdk.map((r) => r.sampledPeakHeapBytes));
  console.log(`| of which Buffers (arrayBuffers), highest sampled | ${mib(buffers)} MiB | | |`);
  console.log(`| JS heap used, highest sampled | ${mib(heap)} MiB | | |`);
  const cpu = median(sdk.map((r) => r.cpuSeconds));
  console.log(`| CPU time of the SDK process during the load (median) | ${cpu.toFixed(2)} s | | |`);
  if (figures.smallYoung !== undefined) {
    console.log(
      `| peak RSS (VmHWM) of one more run with node ${SMALL_YOUNG_GENERATION} | ` +
        `${mib(figures.smallYoung.hwmAfterBytes)} MiB (Buffers ${mib(figures.smallYoung.sampledPeakArrayBuffersBytes)} MiB) | | |`,
    );
  }
}

if (process.argv[2] === "load-child") {
  runLoadChild(process.argv[3] ?? "{}").catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
