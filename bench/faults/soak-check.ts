/**
 * What every fault scenario ends with: every stream it opened has ended (with an error or an end)
 * within a bound, the next call works (create, ready, exec, delete), and once the scenario has
 * deleted its sandboxes nothing of them is left: no record in the gateway's state (listed through the
 * public API), no container and no network but the gateway's own on the engine (listed by the
 * gateway's label). A scenario records failures and figures as it goes; it passes with no failure.
 */
import { CanceledError, type OpenShell, OpenShellError, type Sandbox } from "../../src/index.js";
import { GATEWAY_LABEL } from "../../src/local/gateway-identity.js";
import { SANDBOX_NAME_LABEL } from "../../src/local/sandboxes/sandbox-container.js";
import type { ContainerRuntime } from "../../src/runtime/container-runtime.js";
import { describe } from "../shared/gateway-child.js";
import { localWay } from "../shared/sandbox-round.js";

export class ScenarioRun {
  readonly failures: string[] = [];
  readonly figures: string[] = [];
  private readonly started = performance.now();

  constructor(readonly name: string) {}

  figure(text: string): void {
    this.figures.push(text);
    console.error(`[soak:faults] ${this.name}: ${text}`);
  }

  fail(text: string): void {
    this.failures.push(text);
    console.error(`[soak:faults] ${this.name}: FAIL ${text}`);
  }

  check(ok: boolean, text: string): boolean {
    if (!ok) this.fail(text);
    return ok;
  }

  /** Seconds since the scenario started. */
  elapsed(): string {
    return `${((performance.now() - this.started) / 1000).toFixed(1)} s`;
  }

  get passed(): boolean {
    return this.failures.length === 0;
  }
}

interface Tracked {
  name: string;
  openedAt: number;
  /** "end" or the error, once the stream has settled. */
  outcome: string | undefined;
  /** An SDK stream must fail with an SDK error; a plain socket's error is Node's. */
  sdk: boolean;
  /** The stream failed with something other than an SDK error. */
  foreign: boolean;
  /** The stream failed with CanceledError, which says the caller canceled it; none of these is. */
  canceled: boolean;
  settledAt: number | undefined;
  done: Promise<void>;
}

/** The streams a scenario opened, and whether each has ended. */
export class StreamTracker {
  private readonly streams: Tracked[] = [];

  /**
   * Follows `settles` (a stream read to its end, a socket's close) and records how it ended. `sdk`:
   * it is the SDK's, so an error must be one of its classes.
   */
  track(name: string, settles: Promise<unknown>, sdk = true): void {
    const entry: Tracked = {
      name,
      openedAt: performance.now(),
      outcome: undefined,
      sdk,
      foreign: false,
      canceled: false,
      settledAt: undefined,
      done: Promise.resolve(),
    };
    entry.done = settles.then(
      () => {
        entry.outcome = "end";
        entry.settledAt = performance.now();
      },
      (error: unknown) => {
        entry.outcome = `error ${describe(error)}`;
        entry.foreign = !(error instanceof OpenShellError);
        entry.canceled = error instanceof CanceledError;
        entry.settledAt = performance.now();
      },
    );
    this.streams.push(entry);
  }

  /** Reads an async iterable to its end: what a user's `for await` does. */
  trackIterable(name: string, iterable: AsyncIterable<unknown>): void {
    this.track(
      name,
      (async () => {
        for await (const _ of iterable) {
          // Only the end matters here.
        }
      })(),
    );
  }

  /**
   * Waits up to `boundMs` (from now) for every stream, then fails the scenario for each still open,
   * and adds a figure per stream: how it ended and how long after `since` (the fault).
   */
  async expectAllEnded(run: ScenarioRun, boundMs: number, since: number, what = "the fault"): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.streams.map((s) => s.done)),
      new Promise((resolve) => {
        timer = setTimeout(resolve, boundMs);
      }),
    ]);
    clearTimeout(timer);
    for (const s of this.streams) {
      if (s.settledAt === undefined) {
        run.fail(`stream "${s.name}" still open ${boundMs} ms after ${what}`);
      } else {
        const after = Math.max(0, s.settledAt - since);
        run.figure(`stream "${s.name}" ended ${after.toFixed(0)} ms after ${what}: ${s.outcome}`);
        if (s.sdk && s.foreign) run.fail(`stream "${s.name}" failed with an error that is not the SDK's`);
        if (s.canceled) {
          run.fail(
            `stream "${s.name}" failed with CanceledError, but nothing canceled it: the other side went away`,
          );
        }
      }
    }
  }
}

/** An error a user sees should be one of the SDK's classes, saying what went wrong. */
export function checkUserError(run: ScenarioRun, what: string, error: unknown): void {
  run.figure(`${what}: ${describe(error)}`);
  run.check(error instanceof OpenShellError, `${what} is not an OpenShellError: ${describe(error)}`);
}

/** The next call works: one whole sandbox round through the same client. */
export async function nextCallWorks(run: ScenarioRun, os: OpenShell, labels: Record<string, string>) {
  const t = performance.now();
  try {
    const times = await localWay("next call", os, labels).round();
    run.figure(
      `next call (create, ready, exec, delete) worked in ${(performance.now() - t).toFixed(0)} ms ` +
        `(ready ${times.ready.toFixed(0)} ms)`,
    );
  } catch (error) {
    run.fail(`the next call failed: ${describe(error)}`);
  }
}

/**
 * Nothing of the scenario's sandboxes is left while the gateway runs: no record (but `keep`), no
 * container of the gateway (but those of `keep`), and only the gateway's own network.
 */
export async function expectNothingLeft(
  run: ScenarioRun,
  os: OpenShell,
  runtime: ContainerRuntime,
  gatewayId: string,
  keep: readonly string[] = [],
): Promise<void> {
  const records = (await os.sandboxes.list({ limit: 1000 }))
    .map((s) => s.name)
    .filter((n) => !keep.includes(n));
  run.check(records.length === 0, `records left: ${records.join(", ")}`);
  const labels = { [GATEWAY_LABEL]: gatewayId };
  const containers = (await runtime.listContainers({ labels })).filter(
    (c) => !keep.some((name) => c.labels[SANDBOX_NAME_LABEL] === name),
  );
  run.check(
    containers.length === 0,
    `containers left: ${containers.map((c) => `${c.name} (${c.state})`).join(", ")}`,
  );
  const networks = await runtime.listNetworks({ labels });
  run.check(networks.length === 1, `the gateway should have its one network, found ${networks.length}`);
  run.figure(
    `left while the gateway runs: ${records.length} record(s), ${containers.length} container(s), ` +
      `${networks.length} network(s) (its own)`,
  );
}

/** After the gateway closed (removing what it made): no container and no network of it at all. */
export async function expectEngineClean(
  run: ScenarioRun,
  runtime: ContainerRuntime,
  gatewayId: string,
): Promise<void> {
  const labels = { [GATEWAY_LABEL]: gatewayId };
  const containers = await runtime.listContainers({ labels });
  const networks = await runtime.listNetworks({ labels });
  run.check(
    containers.length === 0 && networks.length === 0,
    `after the gateway closed: ${containers.length} container(s), ${networks.length} network(s) left`,
  );
  run.figure(`after the gateway closed: ${containers.length} container(s), ${networks.length} network(s)`);
}

/** Deletes each sandbox and waits until it is gone; a failure is the scenario's. */
export async function deleteAll(run: ScenarioRun, sandboxes: readonly Sandbox[]): Promise<void> {
  await Promise.all(
    sandboxes.map(async (sb) => {
      try {
        await sb.delete();
        await sb.deleted({ timeoutMs: 60_000 });
      } catch (error) {
        run.fail(`deleting ${sb.name} failed: ${describe(error)}`);
      }
    }),
  );
}
