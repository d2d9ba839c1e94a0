import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSessionId } from "../../../src/runtime/labels.js";
import { reapSession } from "../../../src/runtime/reaper/reap-session.js";

// The reaper against real engines: a process creates containers, a network and a volume, starts
// the reaper, and is SIGKILLed; everything must be gone shortly after. No engine, no pass: start
// them with `bash scripts/engines.sh`.

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const image = process.env.OPENSHELL_TEST_BUSYBOX_IMAGE ?? "openshell-test/busybox:1";
const engines = [
  { name: "docker", host: process.env.OPENSHELL_TEST_DOCKER_HOST ?? "unix:///var/run/docker.sock" },
  { name: "podman", host: process.env.OPENSHELL_TEST_PODMAN_HOST ?? "unix:///run/podman/podman.sock" },
].map((engine) => ({ ...engine, socketPath: engine.host.replace(/^unix:\/\//, "") }));

// Everything this file creates carries this label too, so afterAll finds it whatever happened.
const RUN_LABEL = "openshell.ai/test-run";
const runId = `reaper-${newSessionId()}`;
const dir = mkdtempSync(join(tmpdir(), "openshell-reaper-it-"));

interface Answer {
  status: number;
  body: unknown;
}

function api(socketPath: string, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload === undefined ? {} : { "content-type": "application/json" },
        timeout: 30_000,
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = text === "" ? undefined : JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    req.on("error", reject);
    req.end(payload);
  });
}

const filter = (label: string): string => `filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`;

/** Ids (names for volumes) of the containers, networks and volumes carrying `label`. */
async function objects(socketPath: string, label: string) {
  const [containers, networks, volumes] = await Promise.all([
    api(socketPath, "GET", `/containers/json?all=1&${filter(label)}`),
    api(socketPath, "GET", `/networks?${filter(label)}`),
    api(socketPath, "GET", `/volumes?${filter(label)}`),
  ]);
  return {
    containers: (containers.body as { Id: string }[]).map((c) => c.Id),
    networks: (networks.body as { Id: string }[]).map((n) => n.Id),
    volumes: ((volumes.body as { Volumes: { Name: string }[] | null }).Volumes ?? []).map((v) => v.Name),
  };
}

/**
 * The process to kill, imported straight from src and bundled by esbuild: it creates three running
 * containers on a network of their own plus a volume, all labelled for a session, then (mode
 * "reaper") starts the reaper, prints "ready <watcher pid>" and waits to be killed, or (mode
 * "create") just exits.
 */
const CHILD = `
import { request } from "node:http";
import { sessionLabels } from "./src/runtime/labels.ts";
import { startReaper } from "./src/runtime/reaper/start-reaper.ts";

const { socketPath, sessionId, image, runLabel, mode, logFile } = JSON.parse(process.argv[2]);

function call(method: string, path: string, body?: unknown): Promise<{ Id?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        if ((res.statusCode ?? 0) >= 300) reject(new Error(method + " " + path + ": " + res.statusCode + " " + text));
        else resolve(text === "" ? {} : JSON.parse(text));
      });
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const Labels = { ...sessionLabels(sessionId), ...runLabel };
const network = "openshell-reaper-" + sessionId;
await call("POST", "/networks/create", { Name: network, Labels });
await call("POST", "/volumes/create", { Name: network, Labels });
for (const index of [1, 2, 3]) {
  const { Id } = await call("POST", "/containers/create?name=" + network + "-" + index, {
    Image: image,
    Cmd: ["sleep", "300"],
    Labels,
    HostConfig: { NetworkMode: network, Binds: [network + ":/data"] },
  });
  await call("POST", "/containers/" + Id + "/start");
}
if (mode === "reaper") {
  const reaper = await startReaper({ kind: "engine", endpoint: { kind: "unix", socketPath } }, sessionId, { logFile });
  process.stdout.write("ready " + reaper.pid + "\\n");
  setInterval(() => {}, 60_000);
}
`;

function runChild(socketPath: string, sessionId: string, mode: "reaper" | "create", logFile?: string) {
  const config = { socketPath, sessionId, image, runLabel: { [RUN_LABEL]: runId }, mode, logFile };
  const child = spawn(process.execPath, [childScript, JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function createSession(socketPath: string, sessionId: string): Promise<void> {
  const { exited, output } = runChild(socketPath, sessionId, "create");
  if ((await exited) !== 0) throw new Error(`creating session ${sessionId} failed: ${output()}`);
}

let childScript: string;

beforeAll(async () => {
  childScript = join(dir, "child.mjs");
  await build({
    stdin: { contents: CHILD, resolveDir: repoRoot, loader: "ts", sourcefile: "reaper-child.ts" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    outfile: childScript,
    logLevel: "silent",
  });
});

afterAll(async () => {
  const label = `${RUN_LABEL}=${runId}`;
  for (const { socketPath } of engines) {
    const left = await objects(socketPath, label).catch(() => undefined);
    if (left === undefined) continue;
    for (const id of left.containers) await api(socketPath, "DELETE", `/containers/${id}?force=1&v=1`);
    for (const id of left.networks) await api(socketPath, "DELETE", `/networks/${id}`);
    for (const name of left.volumes) await api(socketPath, "DELETE", `/volumes/${name}?force=1`);
  }
  rmSync(dir, { recursive: true, force: true });
});

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

describe.each(engines)("the reaper on $name ($host)", ({ name, socketPath }) => {
  beforeAll(async () => {
    const ping = await api(socketPath, "GET", "/_ping").catch((error: Error) => ({
      status: 0,
      body: error.message,
    }));
    if (ping.status !== 200) {
      throw new Error(
        `${name} does not answer on ${socketPath} (${ping.body}); run: bash scripts/engines.sh`,
      );
    }
    const found = await api(socketPath, "GET", `/images/${encodeURIComponent(image)}/json`);
    if (found.status !== 200) throw new Error(`${name} has no image ${image}; run: bash scripts/engines.sh`);
  });

  it("removes every container, the network and the volume of a SIGKILLed process within 10 s", async () => {
    const sessionId = newSessionId();
    const label = `openshell.ai/session=${sessionId}`;
    const logFile = join(dir, `${name}-${sessionId}.log`);
    const { child, exited, output } = runChild(socketPath, sessionId, "reaper", logFile);
    try {
      const deadline = Date.now() + 30_000;
      while (!/ready \d+/.test(output())) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`the child failed: ${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const watcher = Number(/ready (\d+)/.exec(output())![1]);
      const before = await objects(socketPath, label);
      expect(before.containers).toHaveLength(3);
      expect(before.networks).toHaveLength(1);
      expect(before.volumes).toHaveLength(1);

      const killedAt = Date.now();
      child.kill("SIGKILL");
      await exited;
      let left = before;
      while (left.containers.length + left.networks.length + left.volumes.length > 0) {
        if (Date.now() - killedAt > 10_000) {
          throw new Error(`left after 10 s: ${JSON.stringify(left)}\n${readFileSync(logFile, "utf8")}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        left = await objects(socketPath, label);
      }
      const tookMs = Date.now() - killedAt;
      console.log(`${name}: 3 containers, 1 network and 1 volume reaped ${tookMs} ms after SIGKILL`);
      expect(tookMs).toBeLessThan(10_000);

      while (running(watcher)) {
        if (Date.now() - killedAt > 20_000) throw new Error("the watcher did not exit after reaping");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(readFileSync(logFile, "utf8")).toMatch(
        /removed 3 container\(s\), 1 network\(s\), 1 volume\(s\)/,
      );
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("reapSession removes one session's objects and leaves another session's alone", async () => {
    const mine = newSessionId();
    const theirs = newSessionId();
    await createSession(socketPath, mine);
    await createSession(socketPath, theirs);

    const removed = await reapSession({ kind: "engine", endpoint: { kind: "unix", socketPath } }, mine);
    expect(removed).toEqual({ containers: 3, networks: 1, volumes: 1 });
    expect(await objects(socketPath, `openshell.ai/session=${mine}`)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
    const other = await objects(socketPath, `openshell.ai/session=${theirs}`);
    expect(other.containers).toHaveLength(3);
    expect(other.networks).toHaveLength(1);
    expect(other.volumes).toHaveLength(1);

    // Reaping again finds nothing; reaping the other session then removes it all.
    await expect(
      reapSession({ kind: "engine", endpoint: { kind: "unix", socketPath } }, mine),
    ).resolves.toEqual({
      containers: 0,
      networks: 0,
      volumes: 0,
    });
    await expect(
      reapSession({ kind: "engine", endpoint: { kind: "unix", socketPath } }, theirs),
    ).resolves.toEqual({
      containers: 3,
      networks: 1,
      volumes: 1,
    });
  });
});
