import type { Readable } from "node:stream";
import { UnavailableError } from "../../../errors.js";
import type { ContainerEvent, WatchOptions } from "../../event-types.js";
import { jsonLines } from "../../streams/json-lines.js";
import { labelFilter } from "./engine-container-info.js";
import type { EngineContext } from "./engine-context.js";

/**
 * Container events from the engine's event stream, filtered by label on the engine's side. Ends
 * (without error) when the signal aborts; throws when the engine goes away.
 */
export async function* engineContainerEvents(
  engine: EngineContext,
  options: WatchOptions,
): AsyncGenerator<ContainerEvent> {
  const what = "watch container events";
  const signal = options.signal;
  if (signal?.aborted) return;
  const stream = (await engine.call(what, () =>
    engine.docker.getEvents({
      filters: { type: ["container"], label: labelFilter(options.labels) },
      ...(signal === undefined ? {} : { abortSignal: signal }),
    }),
  )) as unknown as Readable;
  const onAbort = () => stream.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const message of jsonLines(stream as AsyncIterable<Buffer>)) {
      const event = toContainerEvent(message);
      if (event !== undefined) yield event;
    }
  } catch (error) {
    if (signal?.aborted) return;
    throw engine.error(error, `${what}: the event stream broke`);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    stream.destroy();
  }
  if (!signal?.aborted) {
    throw new UnavailableError(
      `${what}: the ${engine.kind} engine at ${engine.endpoint} closed the event stream`,
    );
  }
}

/** Keys the engine puts in an event's attributes that are not the container's labels. */
const NON_LABEL_ATTRIBUTES = new Set([
  "name",
  "image",
  "exitCode",
  "containerExitCode",
  "podId",
  "signal",
  "execDuration",
  "execID",
  "network",
  "error",
]);

export function toContainerEvent(message: Record<string, unknown>): ContainerEvent | undefined {
  const actor = (message.Actor ?? {}) as { ID?: unknown; Attributes?: Record<string, unknown> };
  const action = typeof message.Action === "string" ? message.Action : message.status;
  const id = typeof actor.ID === "string" ? actor.ID : message.id;
  if (typeof action !== "string" || typeof id !== "string") return undefined;
  const attributes = actor.Attributes ?? {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!NON_LABEL_ATTRIBUTES.has(key) && typeof value === "string") labels[key] = value;
  }
  const exitCode = Number(attributes.exitCode ?? attributes.containerExitCode);
  // Rounded: a nanosecond count parsed from JSON is not exact, and Date would truncate 249.9998 ms.
  const nanos = typeof message.timeNano === "number" ? Math.round(message.timeNano / 1e6) : undefined;
  const seconds = typeof message.time === "number" ? message.time * 1000 : Date.now();
  return {
    // Docker names some actions with a suffix ("exec_start: sh -c ..."); keep the verb.
    action: normalizeAction(action),
    id,
    name: typeof attributes.name === "string" ? attributes.name : "",
    labels,
    ...(Number.isFinite(exitCode) && (action === "die" || action === "died") ? { exitCode } : {}),
    time: new Date(nanos ?? seconds),
  };
}

function normalizeAction(action: string): string {
  const verb = action.split(":")[0] ?? action;
  // Podman's compat events say "died" where Docker says "die".
  return verb === "died" ? "die" : verb;
}
