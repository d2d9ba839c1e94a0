import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ReapTarget } from "../../../../src/runtime/reaper/reap-session.js";
import { type ReaperHandle, startReaper } from "../../../../src/runtime/reaper/start-reaper.js";
import { bundle, type FakeEngine, isRunning, labels, startFakeEngine, waitFor } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "openshell-reaper-test-"));
let engine: FakeEngine;
const handles: ReaperHandle[] = [];
const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];
const onCleanup = (cleanup: () => void): void => {
  cleanups.push(cleanup);
};

beforeEach(async () => {
  engine = await startFakeEngine(dir);
});
afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.stop()));
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const cleanup of cleanups.splice(0)) {
    try {
      cleanup();
    } catch {}
  }
  await engine.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const target = (): ReapTarget => ({
  kind: "engine",
  endpoint: { kind: "unix", socketPath: engine.socketPath },
});
let sessions = 0;
const newSession = (): string => `t${process.pid}x${++sessions}`;

function seed(session: string): void {
  engine.containers.push({ id: "c1", labels: labels(session) }, { id: "c2", labels: labels(session) });
  engine.networks.push({ id: "n1", labels: labels(session) });
  engine.volumes.push({ id: "v1", labels: labels(session) });
  engine.containers.push({ id: "foreign", labels: labels("someone-else") });
}

const sessionObjects = (session: string): string[] =>
  [...engine.containers, ...engine.networks, ...engine.volumes]
    .filter((o) => o.labels["openshell.ai/session"] === session)
    .map((o) => o.id);

async function start(
  session: string,
  options: Parameters<typeof startReaper>[2] = {},
): Promise<ReaperHandle> {
  const handle = await startReaper(target(), session, options);
  handles.push(handle);
  return handle;
}

/** Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, session, ... */
function procStat(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

describe("startReaper, with this test process as the parent", () => {
  it("arms a watcher in its own session and process group; stop() disarms it without reaping", async () => {
    const session = newSession();
    seed(session);
    const handle = await start(session);
    expect(isRunning(handle.pid)).toBe(true);
    const [, , pgrp, sid] = procStat(handle.pid);
    expect(Number(pgrp)).toBe(handle.pid);
    expect(Number(sid)).toBe(handle.pid);
    expect(readFileSync(`/proc/${handle.pid}/cmdline`, "utf8")).toMatch(/^openshell-reaper /);

    await handle.stop();
    expect(isRunning(handle.pid)).toBe(false);
    expect(engine.requests).toEqual([]);
    expect(sessionObjects(session)).toHaveLength(4);
  });

  it("is idempotent per (target, session) until stopped", async () => {
    const session = newSession();
    const first = startReaper(target(), session);
    const sameTargetOtherKeyOrder: ReapTarget = {
      endpoint: { socketPath: engine.socketPath, kind: "unix" },
      kind: "engine",
    };
    expect(startReaper(sameTargetOtherKeyOrder, session)).toBe(first);
    const handle = await first;
    handles.push(handle);
    const other = await start(newSession());
    expect(other.pid).not.toBe(handle.pid);

    await handle.stop();
    await handle.stop();
    const again = await start(session);
    expect(again.pid).not.toBe(handle.pid);
  });

  it("reaps when the watcher itself is told to terminate (its environment is going away)", async () => {
    const session = newSession();
    seed(session);
    const handle = await start(session);
    process.kill(handle.pid, "SIGTERM");
    await waitFor(() => sessionObjects(session).length === 0, 5_000, "the session's objects to be reaped");
    await waitFor(() => !isRunning(handle.pid), 5_000, "the watcher to exit");
    expect(engine.containers.map((o) => o.id)).toEqual(["foreign"]);
  });

  it("logs to a file created with mode 0600 when asked", async () => {
    const session = newSession();
    const logFile = join(dir, `${session}.log`);
    const handle = await start(session, { logFile });
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
    await handle.stop();
    const log = readFileSync(logFile, "utf8");
    expect(log).toMatch(new RegExp(`openshell-reaper\\[${handle.pid}\\] armed for session ${session}`));
    expect(log).toMatch(/cancelled: exiting without reaping/);
  });

  it("refuses a session id the watcher could not use, before spawning anything", async () => {
    await expect(startReaper(target(), "")).rejects.toThrow(/invalid session id/);
    await expect(startReaper(target(), "a=b")).rejects.toThrow(/invalid session id/);
  });

  it("refuses TLS files it cannot read now rather than failing later with no one to tell", async () => {
    const tls = {
      caFile: join(dir, "ca.pem"),
      certFile: join(dir, "cert.pem"),
      keyFile: join(dir, "key.pem"),
    };
    const tcp: ReapTarget = {
      kind: "engine",
      endpoint: { kind: "tcp", host: "127.0.0.1", port: 2376, tls: { ...tls, verify: true } },
    };
    await expect(startReaper(tcp, newSession())).rejects.toThrow(/ENOENT.*ca\.pem/);
  });

  it("gives up, and kills the watcher, when it is not armed in time or the call is aborted", async () => {
    await expect(startReaper(target(), newSession(), { startTimeoutMs: 1 })).rejects.toThrow(
      /not armed within 1 ms/,
    );
    await expect(startReaper(target(), newSession(), { signal: AbortSignal.abort() })).rejects.toThrow(
      /abort/,
    );
    const controller = new AbortController();
    const pending = startReaper(target(), newSession(), { signal: controller.signal });
    controller.abort(new Error("caller gave up"));
    await expect(pending).rejects.toThrow(/caller gave up/);
  });
});

/**
 * A real parent: a plain node process (startReaper bundled into it) that starts a reaper and then,
 * depending on its mode, holds on (to be SIGKILLed), stops the reaper, or simply runs out of work.
 */
const PARENT = `
import { startReaper } from "./src/runtime/reaper/start-reaper.ts";
const { target, sessionId, mode } = JSON.parse(process.argv[2]);
const handle = await startReaper(target, sessionId, { logFile: process.argv[3] });
process.stdout.write("ready " + handle.pid + "\\n");
if (mode === "hold") {
  // A process started after the reaper, outliving this one, must not keep the watcher waiting:
  // the parent's end of the pipe is close-on-exec.
  const { spawn } = await import("node:child_process");
  const helper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30_000)"], { stdio: "ignore", detached: true });
  process.stdout.write("helper " + helper.pid + "\\n");
  setInterval(() => {}, 60_000);
}
if (mode === "stop") {
  await handle.stop();
  process.stdout.write("stopped\\n");
}
// mode "natural": nothing keeps this process alive, so it exits now, watcher or not.
`;

describe("the watcher, when its parent goes away", () => {
  let parentScript: string;
  beforeAll(async () => {
    parentScript = await bundle(PARENT, join(dir, "parent.mjs"));
  });

  /** Starts the parent; resolves with it and its watcher's pid once the watcher is armed. */
  async function parent(session: string, mode: "hold" | "stop" | "natural") {
    const logFile = join(dir, `${session}.log`);
    const child = spawn(
      process.execPath,
      [parentScript, JSON.stringify({ target: target(), sessionId: session, mode }), logFile],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await waitFor(
      () => /ready \d+/.test(stdout) || child.exitCode !== null,
      10_000,
      "the parent to be ready",
    );
    const match = /ready (\d+)/.exec(stdout);
    if (match === null) throw new Error(`the parent failed: ${stderr}`);
    return { child, watcher: Number(match[1]), closed, logFile, output: () => stdout };
  }

  it("reaps the session after the parent is SIGKILLed, retrying while the engine is busy", async () => {
    const session = newSession();
    seed(session);
    const { child, watcher, logFile, output } = await parent(session, "hold");
    await waitFor(() => /helper \d+/.test(output()), 5_000, "the parent's helper process");
    const helper = Number(/helper (\d+)/.exec(output())![1]);
    onCleanup(() => process.kill(helper, "SIGKILL"));
    expect(procStat(watcher)[1]).toBe(String(child.pid)); // the parent's child, in its own group
    engine.failNext(2);
    child.kill("SIGKILL");
    const tookMs = await waitFor(
      () => sessionObjects(session).length === 0,
      10_000,
      "the session to be reaped",
    );
    await waitFor(() => !isRunning(watcher), 5_000, "the watcher to exit");
    expect(engine.containers.map((o) => o.id)).toEqual(["foreign"]);
    const log = readFileSync(logFile, "utf8");
    expect(log).toMatch(/parent gone: reaping/);
    expect(log).toMatch(/pass 1 failed: GET \/containers\/json\?all=1: 500/);
    expect(log).toMatch(/removed 2 container\(s\), 1 network\(s\), 1 volume\(s\)/);
    expect(tookMs).toBeLessThan(5_000);
    expect(isRunning(helper)).toBe(true);
  });

  it("reaps after a normal exit; neither the watcher nor its pipe keeps the parent alive or its stdout open", async () => {
    const session = newSession();
    seed(session);
    const { watcher, closed } = await parent(session, "natural");
    // "close" means every holder of the parent's stdout and stderr is gone; the watcher, which
    // lives on for at least a second, must not be one of them.
    await expect(closed).resolves.toBe(0);
    expect(isRunning(watcher)).toBe(true);
    await waitFor(() => sessionObjects(session).length === 0, 10_000, "the session to be reaped");
    await waitFor(() => !isRunning(watcher), 5_000, "the watcher to exit");
  });

  it("exits without reaping when the parent stopped it first", async () => {
    const session = newSession();
    seed(session);
    const { watcher, closed, output } = await parent(session, "stop");
    await expect(closed).resolves.toBe(0);
    expect(output()).toMatch(/stopped/);
    expect(isRunning(watcher)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(engine.requests).toEqual([]);
    expect(sessionObjects(session)).toHaveLength(4);
  });
});
