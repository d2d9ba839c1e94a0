/**
 * The ways of getting the echo agent answering in a sandbox, each round timed from its first call to
 * the moment a user may call the agent: the adapter (`apply`, then its `watch` until `Ready=True`),
 * once with the command read from the image's CMD and once with `runtimeConfig.command`, and the
 * bare SDK (`sandboxes.create`, `ready()`, then GET the agent card through a forward every 100 ms
 * until it answers 200, the check a careful user writes). Removal follows each round, untimed.
 */
import { randomUUID } from "node:crypto";
import type { OpenShell, Sandbox } from "openshell";
import type { DeploymentStatus, OpenShellDeploymentAdapter } from "openshell/adapters/agent-registry";
import { a2aAgentImage, echoAgentCommand } from "../../test/support/a2a-agent/image.js";
import { type EchoDeployment, echoDeployment } from "../../test/support/agent-registry/echo-deployment.js";
import type { Way } from "../shared/rounds.js";

export const ADAPTER_IMAGE_CMD = "adapter, command from the image's CMD";
export const ADAPTER_COMMAND = "adapter, runtimeConfig.command";
export const BARE = "bare SDK: create, ready(), card GET";

export const PORT = 8080;
const CARD_PATH = "/.well-known/agent-card.json";
const RETRY_MS = 100;
/** A round that takes longer than this has failed. */
const ROUND_TIMEOUT_MS = 120_000;

/**
 * One round's phases in ms. `prepare` (adapter only): apply until it says CreatingSandbox (its
 * sandboxes.list, the image's CMD, model access); `create`: the create call; `sandboxReady`: until
 * the sandbox is READY; `agent`: until the agent card answers; `total`: start to usable;
 * `remove`: the untimed removal after it.
 */
export type Phase = "prepare" | "create" | "sandboxReady" | "agent" | "total" | "remove";
export const TIMED_PHASES = ["prepare", "create", "sandboxReady", "agent"] as const;

/** What is still to be removed if the run stops mid-round (Ctrl-C, a failure). */
export interface Live {
  deployments: Set<EchoDeployment>;
  sandboxes: Set<Sandbox>;
}

const ready = (s: DeploymentStatus, type: string) =>
  s.conditions.find((c) => c.type === type)?.status === "True";
const reasonOf = (s: DeploymentStatus) => s.conditions.find((c) => c.type === "Progressing")?.reason;

/**
 * `adapter.apply`, then `adapter.watch` until `Ready=True`; the phases come from when each
 * Progressing reason first shows on the watch (CreatingSandbox, WaitingForSandbox, WaitingForAgent).
 */
export function adapterWay(
  name: string,
  adapter: OpenShellDeploymentAdapter,
  live: Live,
  runtimeConfig: Record<string, unknown>,
): Way<Phase> {
  return {
    name,
    async round() {
      const d = echoDeployment({ name: `bench-${randomUUID().slice(0, 8)}`, runtimeConfig });
      live.deployments.add(d);
      const seen = new Map<string, number>();
      const started = performance.now();
      await adapter.apply({ deployment: d.deployment, target: d.target, runtime: d.runtime });
      let readyAt = Number.NaN;
      for await (const status of adapter.watch(d.deployment, {
        signal: AbortSignal.timeout(ROUND_TIMEOUT_MS),
      })) {
        const now = performance.now();
        const reason = reasonOf(status);
        if (reason !== undefined && !seen.has(reason)) seen.set(reason, now);
        if (ready(status, "Degraded")) {
          throw new Error(`deployment ${d.deployment.metadata.name} Degraded: ${JSON.stringify(status)}`);
        }
        if (ready(status, "Ready")) {
          readyAt = now;
          break;
        }
      }
      if (Number.isNaN(readyAt))
        throw new Error(`the watch of ${d.deployment.metadata.name} ended before Ready`);
      const at = (reason: string) => seen.get(reason) ?? Number.NaN;
      const removeStarted = performance.now();
      await adapter.remove({ deployment: d.deployment, runtime: d.runtime });
      live.deployments.delete(d);
      return {
        prepare: at("CreatingSandbox") - started,
        create: at("WaitingForSandbox") - at("CreatingSandbox"),
        sandboxReady: at("WaitingForAgent") - at("WaitingForSandbox"),
        agent: readyAt - at("WaitingForAgent"),
        total: readyAt - started,
        remove: performance.now() - removeStarted,
      };
    },
  };
}

/** The bare SDK: create with the same image and command, `ready()`, then the card through a forward. */
export function bareWay(os: OpenShell, live: Live): Way<Phase> {
  return {
    name: BARE,
    async round() {
      const signal = AbortSignal.timeout(ROUND_TIMEOUT_MS);
      const started = performance.now();
      const sandbox = await os.sandboxes.create({
        name: `bench-bare-${randomUUID().slice(0, 8)}`,
        image: a2aAgentImage,
        command: echoAgentCommand(PORT),
      });
      live.sandboxes.add(sandbox);
      const created = performance.now();
      await sandbox.ready({ signal });
      const sandboxReady = performance.now();
      await cardAnswers(sandbox, signal);
      const answered = performance.now();
      await sandbox.delete();
      await sandbox.deleted({ timeoutMs: 60_000 });
      live.sandboxes.delete(sandbox);
      return {
        prepare: 0,
        create: created - started,
        sandboxReady: sandboxReady - created,
        agent: answered - sandboxReady,
        total: answered - started,
        remove: performance.now() - answered,
      };
    },
  };
}

/** GET the agent card through one forward, again every 100 ms, until it answers 200. */
async function cardAnswers(sandbox: Sandbox, signal: AbortSignal): Promise<void> {
  const forward = await sandbox.forward({ port: PORT, signal });
  try {
    for (;;) {
      const status = await fetch(new URL(CARD_PATH, forward.url), {
        signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
      }).then(
        async (response) => {
          await response.text();
          return response.status;
        },
        () => 0,
      );
      if (status === 200) return;
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  } finally {
    await forward.close();
  }
}

/** Removes what a stopped round left: its deployment through the adapter, its bare sandbox. */
export async function removeLive(adapter: OpenShellDeploymentAdapter | undefined, live: Live): Promise<void> {
  for (const d of live.deployments) {
    await adapter?.remove({ deployment: d.deployment, runtime: d.runtime }).catch(() => undefined);
  }
  live.deployments.clear();
  for (const sandbox of live.sandboxes) {
    await sandbox
      .delete()
      .then(() => sandbox.deleted({ timeoutMs: 30_000 }))
      .catch(() => undefined);
  }
  live.sandboxes.clear();
}
