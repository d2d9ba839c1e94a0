import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CanceledError, UnavailableError } from "../../../../../src/errors.js";
import {
  type ContainerStopNotice,
  ContainerWatchdog,
} from "../../../../../src/runtime/drivers/engine/container-watchdog.js";
import { EngineContext } from "../../../../../src/runtime/drivers/engine/engine-context.js";
import { type FakeContainer, type FakeEventEngine, startFakeEventEngine } from "./fake-event-engine.js";

const TIMINGS = { lingerMs: 200, reconnectDelaysMs: [0, 50, 100] };

const container = (id: string, name: string): FakeContainer => ({
  id: id.padEnd(64, "0"),
  name,
  running: true,
  exitCode: 0,
});

/** Collects what the watchdog tells one watch. */
function recorder() {
  const told: ContainerStopNotice[] = [];
  return { told, onStop: (notice: ContainerStopNotice) => told.push(notice) };
}

async function until(what: string, check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("ContainerWatchdog (against a fake engine on a real socket)", () => {
  let engine: FakeEventEngine;
  let watchdog: ContainerWatchdog;
  let web: FakeContainer;
  let db: FakeContainer;

  beforeEach(async () => {
    engine = await startFakeEventEngine();
    web = container("aaaa1111", "web");
    db = container("bbbb2222", "db");
    engine.containers.set(web.id, web);
    engine.containers.set(db.id, db);
    const context = new EngineContext(
      new Docker({ socketPath: engine.socketPath }),
      "docker",
      "unix:///fake",
    );
    watchdog = new ContainerWatchdog(context, TIMINGS);
  });
  afterEach(async () => {
    watchdog.close();
    await engine.close();
  });

  it("serves every watch from one event stream asking only for exits, and asks nothing more while nothing happens", async () => {
    const watches = await Promise.all([
      watchdog.watch(web.id, () => {}, "logs of web"),
      watchdog.watch(db.id, () => {}, "exec in db"),
      watchdog.watch("web", () => {}, "exec in web"),
    ]);
    await sleep(300);
    expect(engine.asked.events).toBe(1);
    expect(engine.asked.inspect).toBe(0);
    expect(engine.asked.filters).toEqual([
      { type: ["container"], event: ["die", "destroy", "died", "remove"] },
    ]);
    for (const watch of watches) watch.stop();
  });

  it("tells the watches of a container that died, by id or by name, once, with its exit code; no other", async () => {
    const byId = recorder();
    const byName = recorder();
    const other = recorder();
    await watchdog.watch(web.id, byId.onStop, "logs of web");
    await watchdog.watch("/web", byName.onStop, "exec in web");
    await watchdog.watch(db.id, other.onStop, "logs of db");
    web.running = false;
    web.exitCode = 137;
    engine.emit("die", web);
    engine.emit("destroy", web);
    await until("both watches of web told", () => byId.told.length > 0 && byName.told.length > 0);
    await sleep(100);
    expect(byId.told).toEqual([{ kind: "stopped", exitCode: 137 }]);
    expect(byName.told).toEqual([{ kind: "stopped", exitCode: 137 }]);
    expect(other.told).toEqual([]);
    expect(engine.asked.inspect).toBe(0);
  });

  it("tells a watch by id prefix after asking the engine which container that is", async () => {
    const prefix = recorder();
    const nameLikePrefix = recorder();
    await watchdog.watch("aaaa11", prefix.onStop, "logs of aaaa11");
    // "bbbb" is the prefix of db's id, but here it is the name of a container that keeps running.
    const namedLikeAnId = container("cccc3333", "bbbb");
    engine.containers.set(namedLikeAnId.id, namedLikeAnId);
    await watchdog.watch("bbbb", nameLikePrefix.onStop, "logs of bbbb");
    web.running = false;
    engine.emit("die", web);
    db.running = false;
    engine.emit("die", db);
    await until("the prefix watch told", () => prefix.told.length > 0);
    await sleep(100);
    expect(prefix.told).toEqual([{ kind: "stopped", exitCode: 0 }]);
    expect(nameLikePrefix.told).toEqual([]);
  });

  it("re-opens a dropped event stream at once and inspects each watched container once for deaths it missed", async () => {
    const dead = recorder();
    const alive = recorder();
    await watchdog.watch(web.id, dead.onStop, "logs of web");
    await watchdog.watch(db.id, alive.onStop, "logs of db");
    // web dies while no event of it reaches the watchdog; then the stream drops.
    web.running = false;
    web.exitCode = 3;
    engine.dropEventStreams();
    await until("web told", () => dead.told.length > 0, 1_000);
    expect(dead.told).toEqual([{ kind: "stopped", exitCode: 3 }]);
    expect(engine.asked.events).toBe(2);
    expect(engine.asked.inspect).toBe(2);
    await sleep(300);
    expect(alive.told).toEqual([]);
    expect(engine.asked.inspect).toBe(2); // and nothing more while nothing happens
    db.running = false;
    engine.emit("die", db);
    await until("db told through the new stream", () => alive.told.length > 0);
  });

  it("tells every watch the engine is lost when the event stream cannot be re-opened: an outage is an error, not a hang", async () => {
    const one = recorder();
    const two = recorder();
    await watchdog.watch(web.id, one.onStop, "logs of web");
    await watchdog.watch(db.id, two.onStop, "exec in db");
    const stoppedAt = Date.now();
    await engine.stop();
    await until("both watches told", () => one.told.length > 0 && two.told.length > 0);
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    for (const told of [one.told, two.told]) {
      expect(told).toHaveLength(1);
      const notice = told[0];
      expect(notice?.kind).toBe("lost");
      const error = notice?.kind === "lost" ? notice.error : undefined;
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error?.message).toMatch(/cannot reach the docker engine at unix:\/\/\/fake \(ENOENT\)/);
    }
  });

  it("refuses a watch, naming what it was for and the engine, when the engine cannot be reached", async () => {
    await engine.stop();
    const error = await watchdog.watch(web.id, () => {}, "logs of container web").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(String((error as Error).message)).toMatch(
      /^logs of container web: cannot reach the docker engine/,
    );
  });

  it("gives up waiting for the event stream with CanceledError when the caller's signal aborts", async () => {
    engine.holdEventAnswers(true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await watchdog
      .watch(web.id, () => {}, "exec in container web", controller.signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanceledError);
    expect(String((error as Error).message)).toMatch(/^exec in container web: canceled/);
  });

  it("keeps the event stream a while after the last watch for the next one, then closes it; at once after close()", async () => {
    const first = await watchdog.watch(web.id, () => {}, "logs of web");
    first.stop();
    await sleep(TIMINGS.lingerMs / 2);
    const second = await watchdog.watch(db.id, () => {}, "logs of db");
    expect(engine.asked.events).toBe(1);
    second.stop();
    await until("the stream closed after lingering", () => engine.openEventStreams() === 0);

    const third = await watchdog.watch(web.id, () => {}, "logs of web");
    expect(engine.asked.events).toBe(2);
    watchdog.close();
    await sleep(50);
    expect(engine.openEventStreams()).toBe(1); // a stream is still watched
    third.stop();
    await until("the stream closed once nothing was watched", () => engine.openEventStreams() === 0, 100);
  });
});
