/**
 * The ways a round is done. A round is what an agent does with a sandbox it needs for one command:
 * create it from the busybox image, wait until it is ready, run `true` in it, delete it and wait
 * until it is gone. Each phase is timed so a slow round can be pinned on one step.
 */

import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerRuntime } from "../../src/runtime/container-runtime.js";
import type { ContainerSpec } from "../../src/runtime/container-spec.js";
import { runExec } from "../../src/runtime/run-exec.js";
import { benchLabels, IMAGE } from "../shared/engine.js";
import { PhaseClock, type Way as SharedWay } from "../shared/rounds.js";
import { nextName, PHASES, type Phase } from "../shared/sandbox-round.js";

export { PHASES, type Phase, type PhaseTimes } from "../shared/sandbox-round.js";

export type Way = SharedWay<Phase>;

/** On every container and network this benchmark makes, whichever way makes it. */
export const BENCH_LABELS = benchLabels("local");

/**
 * What local mode runs when a sandbox has no command (its KEEP_ALIVE_COMMAND), written out here as a
 * user would: a shell loop that sleeps and exits at once on SIGTERM.
 */
const KEEP_ALIVE = ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

/**
 * The bare runtime driver, as a user writes the same round by hand: the same container local mode
 * makes for a sandbox without a command (the keep-alive loop, a network of its own, the host alias,
 * a name so create needs no inspect, and the default policy's hardening: read-only root with the
 * workdir and /tmp on tmpfs, no capabilities, no-new-privileges, a PID limit), started, inspected
 * until it runs, `true` run to its exit code, removed by force.
 */
export function bareWay(runtime: ContainerRuntime, network: string): Way {
  return {
    name: "bare driver",
    async round() {
      const clock = new PhaseClock(PHASES);
      const spec: ContainerSpec = {
        name: nextName("openshell-bench-bare"),
        image: IMAGE,
        entrypoint: [KEEP_ALIVE[0] as string],
        command: KEEP_ALIVE.slice(1),
        labels: BENCH_LABELS,
        network,
        extraHosts: [{ host: "host.openshell.internal", ip: "host-gateway" }],
        user: "1000:1000",
        workdir: "/sandbox",
        readOnlyRoot: true,
        mounts: ["/sandbox", "/tmp"].map((target) => ({
          type: "tmpfs" as const,
          target,
          mode: 0o1777,
          exec: true,
          userOwned: true,
        })),
        capDrop: ["ALL"],
        noNewPrivileges: true,
        resources: { pidsLimit: 1024 },
      };
      const { id } = await clock.phase("create", () => runtime.createContainer(spec));
      await clock.phase("ready", async () => {
        await runtime.startContainer(id);
        for (;;) {
          const info = await runtime.inspectContainer(id);
          if (info.running) return;
          if (info.exitCode !== null) throw new Error(`bare: the container exited ${info.exitCode}`);
          await sleep(10);
        }
      });
      const result = await clock.phase("exec", () => runExec(runtime, id, { command: ["true"] }));
      if (result.exitCode !== 0) throw new Error(`bare: exec true exited ${result.exitCode}`);
      await clock.phase("delete", () => runtime.removeContainer(id, { force: true }));
      return clock.times;
    },
  };
}
