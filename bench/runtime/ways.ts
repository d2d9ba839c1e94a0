/**
 * The three ways a round is done: the SDK's Docker driver, bare dockerode as a user would write it by
 * hand, and the docker CLI. A round creates a busybox container, starts it, runs `true` in it to its
 * exit code, and removes it by force. Each phase is timed so a slow round can be pinned on one call.
 */

import { execFile } from "node:child_process";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import Docker from "dockerode";
import { DockerRuntime } from "../../src/runtime/drivers/docker/docker-runtime.js";
import { runExec } from "../../src/runtime/run-exec.js";
import { PhaseClock, type Way as SharedWay } from "../shared/rounds.js";

const execFileAsync = promisify(execFile);

export const IMAGE = process.env.OPENSHELL_TEST_BUSYBOX_IMAGE ?? "openshell-test/busybox:1";
export const BENCH_LABEL_KEY = "openshell.ai/bench";
export const BENCH_LABELS: Record<string, string> = { [BENCH_LABEL_KEY]: "1" };
const COMMAND = ["sleep", "3600"];

export type Phase = "create" | "start" | "exec" | "remove";
export const PHASES: readonly Phase[] = ["create", "start", "exec", "remove"];
export type PhaseTimes = Record<Phase, number>;

export type Way = SharedWay<Phase>;

/** 1. The SDK: the Docker driver and runExec, exactly as the docs show them. */
export async function driverWay(socketPath: string): Promise<Way> {
  const runtime = await DockerRuntime.connect({ endpoint: { kind: "unix", socketPath } });
  return {
    name: "driver",
    async round() {
      const clock = new PhaseClock(PHASES);
      const { id } = await clock.phase("create", () =>
        runtime.createContainer({ image: IMAGE, command: COMMAND, labels: BENCH_LABELS }),
      );
      await clock.phase("start", () => runtime.startContainer(id));
      const result = await clock.phase("exec", () => runExec(runtime, id, { command: ["true"] }));
      if (result.exitCode !== 0) throw new Error(`driver: exec true exited ${result.exitCode}`);
      await clock.phase("remove", () => runtime.removeContainer(id, { force: true }));
      return clock.times;
    },
  };
}

/** How many times bare dockerode's exec inspect still said Running after the stream had ended. */
export const bareStats = { inspects: 0, stillRunning: 0 };

/** 2. Bare dockerode: the least a careful user writes by hand for the same round. */
export function dockerodeWay(socketPath: string): Way {
  const docker = new Docker({ socketPath });
  return {
    name: "dockerode",
    async round() {
      const clock = new PhaseClock(PHASES);
      const container = await clock.phase("create", () =>
        docker.createContainer({ Image: IMAGE, Cmd: COMMAND, Labels: BENCH_LABELS }),
      );
      await clock.phase("start", () => container.start());
      const exitCode = await clock.phase("exec", async () => {
        const exec = await container.exec({ Cmd: ["true"], AttachStdout: true, AttachStderr: true });
        const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
        for await (const _ of stream) {
          // drained: `true` prints nothing, but the stream must be read to its end
        }
        // The engine can record the exit a moment after the stream ends; until then ExitCode is null.
        for (;;) {
          const state = await exec.inspect();
          bareStats.inspects++;
          if (!state.Running && state.ExitCode !== null) return state.ExitCode;
          bareStats.stillRunning++;
          await sleep(10);
        }
      });
      if (exitCode !== 0) throw new Error(`dockerode: exec true exited ${exitCode}`);
      await clock.phase("remove", () => container.remove({ force: true }));
      return clock.times;
    },
  };
}

/** 3. The docker CLI, one process per step, argv with no shell. */
export function cliWay(socketPath: string): Way {
  const docker = (...args: string[]) =>
    execFileAsync("docker", ["-H", `unix://${socketPath}`, ...args], { encoding: "utf8" });
  return {
    name: "CLI",
    async round() {
      const clock = new PhaseClock(PHASES);
      const { stdout } = await clock.phase("create", () =>
        docker("create", "--label", `${BENCH_LABEL_KEY}=1`, IMAGE, ...COMMAND),
      );
      const id = stdout.trim();
      await clock.phase("start", () => docker("start", id));
      // execFile rejects on a non-zero exit, so resolving is exit code 0.
      await clock.phase("exec", () => docker("exec", id, "true"));
      await clock.phase("remove", () => docker("rm", "-f", id));
      return clock.times;
    },
  };
}

/** Removes every container the benchmark made (by its label), whatever state it is in. */
export async function removeBenchContainers(socketPath: string): Promise<number> {
  const docker = new Docker({ socketPath });
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${BENCH_LABEL_KEY}=1`] },
  });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
  return list.length;
}
