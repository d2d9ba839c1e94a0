import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ContainerRuntimeError } from "../../../src/errors.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { DockerRuntime } from "../../../src/runtime/drivers/docker/docker-runtime.js";
import { PodmanRuntime } from "../../../src/runtime/drivers/podman/podman-runtime.js";
import type { EngineEndpoint } from "../../../src/runtime/engine-endpoint.js";
import { type EngineProxy, startEngineProxy } from "../../support/engine-proxy.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";

type Kind = "docker" | "podman";

/** A main process that sits idle, prints nothing, and exits at once on SIGTERM (so removal is quick). */
const IDLE = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"];
/** The engine requests of an exec's and a log follow's streams themselves. */
const LOG_STREAM = /\/logs$/;
const EXEC_STREAM = /^POST \/exec\/\{id\}\/start$/;
const EVENT_STREAM = /^GET \/events$/;
/** How soon after the container dies an open stream must end. */
const NOTICED_WITHIN_MS = 2_000;

const connectTo = (kind: Kind, endpoint: EngineEndpoint): Promise<ContainerRuntime> =>
  kind === "docker" ? DockerRuntime.connect({ endpoint }) : PodmanRuntime.connect({ endpoint });

/** How an open stream ended: when, and with what error (none for a follow that simply ended). */
interface Ending {
  at: number;
  error?: unknown;
}

async function endOf(chunks: AsyncIterable<unknown>): Promise<Ending> {
  try {
    for await (const _ of chunks) {
      // the test containers print nothing worth reading
    }
    return { at: Date.now() };
  } catch (error) {
    return { at: Date.now(), error };
  }
}

/**
 * What the driver's streams cost the engine while nothing happens, and how they end when the
 * container dies under them, seen through a proxy between the driver and the real engine. The proxy
 * counts every request, can drop the driver's event stream alone, and can play an engine that never
 * ends an exec's or a log's stream when the container dies (then only the driver can end it).
 */
function describeStreamWatchdog(kind: Kind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  if (endpoint.kind !== "unix") throw new Error(`the ${kind} test engine must be a unix socket`);
  let proxy: EngineProxy;
  /** The driver under test, through the proxy. */
  let runtime: ContainerRuntime;
  /** Another driver on the engine's own socket: what kills and removes containers from outside. */
  let outside: ContainerRuntime;
  const undo: (() => void)[] = [];

  beforeAll(async () => {
    proxy = await startEngineProxy(endpoint.socketPath);
    runtime = await connectTo(kind, { kind: "unix", socketPath: proxy.socketPath });
    outside = await connectTo(kind, endpoint);
  });
  afterEach(() => {
    for (const stop of undo.splice(0)) stop();
  });
  afterAll(async () => {
    await runtime?.reap();
    await runtime?.close();
    await outside?.close();
    await proxy?.close();
  });

  /** A running idle container made by the driver under test (its session reaps it). No network: none is needed. */
  const startIdle = async (): Promise<string> => {
    const { id } = await runtime.createContainer({
      image: testImages.busybox,
      command: IDLE,
      network: "none",
    });
    await runtime.startContainer(id);
    return id;
  };

  const neverEnd = (request: RegExp) => undo.push(proxy.neverEnd(request));

  it("a following log and an open exec make no engine requests while the container sits idle", async () => {
    const id = await startIdle();
    const controller = new AbortController();
    const follow = endOf(runtime.logs(id, { follow: true, signal: controller.signal }));
    const exec = await runtime.exec(id, { command: ["sleep", "3600"], signal: controller.signal });
    const output = endOf(exec.output);
    await sleep(1_000); // the streams are open and settled
    proxy.take();
    await sleep(3_000);
    const idle = proxy.take();
    controller.abort();
    await Promise.all([follow, output]);
    expect(Object.fromEntries(idle.requests)).toEqual({});
    expect(idle.connections).toBe(0);
  });

  for (const engineEnds of [true, false]) {
    const how = engineEnds ? "" : ", on an engine that never ends the stream";
    for (const death of ["killed", "removed"] as const) {
      const kill = (id: string) =>
        death === "killed" ? outside.killContainer(id) : outside.removeContainer(id, { force: true });

      it(`ends a log follow within ${NOTICED_WITHIN_MS} ms when the container is ${death} from outside${how}`, async () => {
        if (!engineEnds) neverEnd(LOG_STREAM);
        const id = await startIdle();
        const follow = endOf(runtime.logs(id, { follow: true }));
        await sleep(300);
        const diedAt = Date.now();
        await kill(id);
        const ending = await follow;
        expect(ending.error).toBeUndefined();
        expect(ending.at - diedAt).toBeLessThan(NOTICED_WITHIN_MS);
      });

      it(`errors an open exec within ${NOTICED_WITHIN_MS} ms when the container is ${death} from outside${how}`, async () => {
        if (!engineEnds) neverEnd(EXEC_STREAM);
        const id = await startIdle();
        const exec = await runtime.exec(id, { command: ["sleep", "3600"] });
        const output = endOf(exec.output);
        await sleep(300);
        const diedAt = Date.now();
        await kill(id);
        const ending = await output;
        expect(ending.error).toBeInstanceOf(ContainerRuntimeError);
        expect(String(ending.error)).toMatch(/stopped while the command was running/);
        expect(ending.at - diedAt).toBeLessThan(NOTICED_WITHIN_MS);
      });
    }
  }

  it("errors an open exec whose stream ends only after its container was removed, before any event of it", async () => {
    neverEnd(EXEC_STREAM);
    const id = await startIdle();
    const exec = await runtime.exec(id, { command: ["sleep", "3600"] });
    const output = endOf(exec.output);
    await sleep(300);
    proxy.silence(EVENT_STREAM);
    try {
      await outside.removeContainer(id, { force: true });
      // Only now does the exec's stream end, as if the engine ended it late; no event has come.
      expect(proxy.cutConnections(EXEC_STREAM)).toBe(1);
      const ending = await output;
      expect(ending.error).toBeInstanceOf(ContainerRuntimeError);
      expect(String(ending.error)).toMatch(/stopped while the command was running/);
    } finally {
      proxy.cutConnections(EVENT_STREAM); // the driver opens a stream that works again
    }
  });

  it("notices a container's death after its event stream dropped, and is idle again after reconnecting", async () => {
    neverEnd(LOG_STREAM);
    neverEnd(EXEC_STREAM);
    const id = await startIdle();
    const follow = endOf(runtime.logs(id, { follow: true }));
    const exec = await runtime.exec(id, { command: ["sleep", "3600"] });
    const output = endOf(exec.output);
    await sleep(500);
    proxy.take();

    // Only the event stream drops; the engine answers everything else.
    expect(proxy.cutConnections(EVENT_STREAM)).toBe(1);
    await sleep(1_000);
    const reconnect = proxy.take();
    expect(reconnect.requests.get("GET /events")).toBe(1);
    await sleep(2_000);
    expect(Object.fromEntries(proxy.take().requests)).toEqual({});

    const diedAt = Date.now();
    await outside.killContainer(id);
    const [followEnding, execEnding] = await Promise.all([follow, output]);
    expect(followEnding.error).toBeUndefined();
    expect(execEnding.error).toBeInstanceOf(ContainerRuntimeError);
    expect(Math.max(followEnding.at, execEnding.at) - diedAt).toBeLessThan(NOTICED_WITHIN_MS);
  });

  it("notices a death whose event never arrived, once its event stream drops and reconnects", async () => {
    neverEnd(LOG_STREAM);
    const id = await startIdle();
    const follow = endOf(runtime.logs(id, { follow: true }));
    await sleep(500);
    // The engine's events stop reaching the driver, the container dies, and then the stream drops.
    expect(proxy.silence(EVENT_STREAM)).toBe(1);
    await outside.killContainer(id);
    expect((await outside.inspectContainer(id)).running).toBe(false);
    await sleep(500);
    const droppedAt = Date.now();
    expect(proxy.cutConnections(EVENT_STREAM)).toBe(1);
    const ending = await follow;
    expect(ending.error).toBeUndefined();
    expect(ending.at - droppedAt).toBeLessThan(NOTICED_WITHIN_MS);
  });
}

describe("engine streams when idle and when the container dies under them: Docker", () => {
  describeStreamWatchdog("docker");
});

describe("engine streams when idle and when the container dies under them: Podman", () => {
  describeStreamWatchdog("podman");
});
