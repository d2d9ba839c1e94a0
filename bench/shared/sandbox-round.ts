/**
 * A sandbox round as local mode's users write it, timed phase by phase: create a sandbox from the
 * busybox image, wait until it is ready, run `true` in it, delete it and wait until it is gone. What
 * an agent does with a sandbox it needs for one command.
 */
import type { OpenShell } from "../../src/index.js";
import { IMAGE } from "./engine.js";
import { PhaseClock, type Way } from "./rounds.js";

export type Phase = "create" | "ready" | "exec" | "delete";
export const PHASES: readonly Phase[] = ["create", "ready", "exec", "delete"];
export type PhaseTimes = Record<Phase, number>;

/** A short unique suffix per run, so two runs on one engine never collide on a name. */
const RUN_ID = Math.random().toString(36).slice(2, 8);
let counter = 0;
/** A sandbox or container name unique to this run: `<prefix>-<run>-<n>`. */
export const nextName = (prefix: string): string => `${prefix}-${RUN_ID}-${(counter++).toString(36)}`;

/**
 * Local mode through a client (`OpenShell.local()` in-process, or `OpenShell.connect()` to a local
 * gateway's mTLS listener), exactly as the README shows it: create, `ready()`, `exec`, `delete()`
 * then `deleted()`. Every sandbox carries `labels` so a run can remove what it left.
 */
export function localWay(name: string, os: OpenShell, labels: Record<string, string>): Way<Phase> {
  return {
    name,
    async round() {
      const clock = new PhaseClock(PHASES);
      const sb = await clock.phase("create", () =>
        os.sandboxes.create({ name: nextName("b"), image: IMAGE, containerLabels: labels }),
      );
      await clock.phase("ready", () => sb.ready({ timeoutMs: 60_000 }));
      const result = await clock.phase("exec", () => sb.exec(["true"]));
      if (result.exitCode !== 0) throw new Error(`${name}: exec true exited ${result.exitCode}`);
      await clock.phase("delete", async () => {
        await sb.delete();
        await sb.deleted({ timeoutMs: 60_000 });
      });
      return clock.times;
    },
  };
}
