import { sleep } from "../../../timing/sleep.js";
import type { ContainerInfo, ContainerState } from "../../container-info.js";
import type { ContainerEvent } from "../../event-types.js";
import { matchesLabels } from "../../labels.js";

const isUp = (state: ContainerState) => state === "running" || state === "stopping";

function toEvent(action: string, container: ContainerInfo, time: Date): ContainerEvent {
  return {
    action,
    id: container.id,
    name: container.name,
    labels: container.labels,
    ...(action === "die" && container.exitCode !== null ? { exitCode: container.exitCode } : {}),
    time,
  };
}

/**
 * The events that explain how `previous` became `current` (two polls of the container list):
 * `create`, `start`, `die` and `destroy`, in the order Docker would send them. A container that
 * came and went between two polls is not seen at all; one that started and stopped between them
 * gets both `start` and `die` (told by a changed start time).
 */
export function diffContainers(
  previous: ReadonlyMap<string, ContainerInfo>,
  current: ReadonlyMap<string, ContainerInfo>,
  time: Date,
): ContainerEvent[] {
  const events: ContainerEvent[] = [];
  for (const [id, now] of current) {
    const before = previous.get(id);
    if (before === undefined) {
      events.push(toEvent("create", now, time));
      if (isUp(now.state)) events.push(toEvent("start", now, time));
      else if (now.state === "exited") events.push(toEvent("start", now, time), toEvent("die", now, time));
      continue;
    }
    const restarted = now.startedAt !== null && now.startedAt.getTime() !== before.startedAt?.getTime();
    if (isUp(now.state) && (!isUp(before.state) || restarted)) {
      if (isUp(before.state)) events.push(toEvent("die", before, time));
      events.push(toEvent("start", now, time));
    } else if (!isUp(now.state) && isUp(before.state)) {
      events.push(toEvent("die", now, time));
    } else if (!isUp(now.state) && restarted) {
      events.push(toEvent("start", now, time), toEvent("die", now, time));
    }
  }
  for (const [id, before] of previous) {
    if (current.has(id)) continue;
    if (isUp(before.state)) events.push(toEvent("die", before, time));
    events.push(toEvent("destroy", before, time));
  }
  return events;
}

export interface PollParams {
  /** One look at every container. */
  list: (signal: AbortSignal | undefined) => Promise<ContainerInfo[]>;
  intervalMs: number;
  labels?: Readonly<Record<string, string>> | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Container events by polling: the CLI has no event stream. The first poll is the baseline (what
 * already exists makes no events); each later one is diffed against the one before. Ends without
 * error when the signal aborts; throws when a poll fails.
 */
export async function* pollContainerEvents(params: PollParams): AsyncGenerator<ContainerEvent> {
  const { signal } = params;
  let previous: Map<string, ContainerInfo> | undefined;
  while (!signal?.aborted) {
    let containers: ContainerInfo[];
    try {
      containers = await params.list(signal);
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    const current = new Map(
      containers.filter((container) => matchesLabels(container.labels, params.labels)).map((c) => [c.id, c]),
    );
    if (previous !== undefined) yield* diffContainers(previous, current, new Date());
    previous = current;
    await sleep(params.intervalMs, signal);
  }
}
