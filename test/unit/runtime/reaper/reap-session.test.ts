import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ReapTarget, reapSession } from "../../../../src/runtime/reaper/reap-session.js";
import { bundle, type FakeEngine, labels, startFakeEngine } from "./support.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "openshell-reap-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let engine: FakeEngine;
beforeEach(async () => {
  engine = await startFakeEngine(dir);
});
afterEach(async () => {
  await engine.close();
});

const target = (): ReapTarget => ({
  kind: "engine",
  endpoint: { kind: "unix", socketPath: engine.socketPath },
});

/** Two containers, a network and a volume for `session`, and the same again for another session. */
function seed(session: string, other = "other-session"): void {
  engine.containers.push(
    { id: "c1", labels: labels(session) },
    { id: "c2", labels: labels(session, { "openshell.ai/sandbox": "demo" }) },
    { id: "c3", labels: labels(other) },
    // Same session label, but not created by openshell: not ours to remove.
    { id: "c4", labels: { "openshell.ai/session": session } },
  );
  engine.networks.push({ id: "n1", labels: labels(session) }, { id: "n2", labels: labels(other) });
  engine.volumes.push({ id: "v1", labels: labels(session) }, { id: "v2", labels: labels(other) });
}

describe("reapSession against a Docker-API engine", () => {
  it("removes the session's containers, then networks, then volumes, and nothing else", async () => {
    seed("s1");
    await expect(reapSession(target(), "s1")).resolves.toEqual({ containers: 2, networks: 1, volumes: 1 });
    expect(engine.containers.map((o) => o.id)).toEqual(["c3", "c4"]);
    expect(engine.networks.map((o) => o.id)).toEqual(["n2"]);
    expect(engine.volumes.map((o) => o.id)).toEqual(["v2"]);

    const filters = encodeURIComponent(
      JSON.stringify({ label: ["openshell.ai/managed-by=openshell", "openshell.ai/session=s1"] }),
    );
    expect(engine.requests).toEqual([
      `GET /containers/json?all=1&filters=${filters}`,
      "POST /containers/c1/kill",
      "DELETE /containers/c1?force=1&v=1",
      "POST /containers/c2/kill",
      "DELETE /containers/c2?force=1&v=1",
      `GET /networks?filters=${filters}`,
      "DELETE /networks/n1",
      `GET /volumes?filters=${filters}`,
      "DELETE /volumes/v1?force=1",
    ]);
  });

  it("deletes only what its own labels place in the session, whatever the engine's filter returned", async () => {
    seed("s1");
    engine.orFilters = true; // Podman 4 does this for volumes
    await expect(reapSession(target(), "s1")).resolves.toEqual({ containers: 2, networks: 1, volumes: 1 });
    expect(engine.containers.map((o) => o.id)).toEqual(["c3", "c4"]);
    expect(engine.networks.map((o) => o.id)).toEqual(["n2"]);
    expect(engine.volumes.map((o) => o.id)).toEqual(["v2"]);
  });

  it("returns zeros when the session has nothing left", async () => {
    seed("other");
    await expect(reapSession(target(), "s1")).resolves.toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("skips an object that is already gone (404) without counting it or failing", async () => {
    engine.containers.push(
      { id: "gone", labels: labels("s1"), vanishes: true },
      { id: "c1", labels: labels("s1") },
    );
    await expect(reapSession(target(), "s1")).resolves.toEqual({ containers: 1, networks: 0, volumes: 0 });
  });

  it("removes what it can, then throws naming what is left, with the partial counts", async () => {
    engine.containers.push(
      { id: "stuck", labels: labels("s1"), refuses: 409 },
      { id: "c1", labels: labels("s1") },
    );
    engine.networks.push({ id: "n1", labels: labels("s1") });
    const error = await reapSession(target(), "s1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /left 1 object\(s\): DELETE \/containers\/stuck\?force=1&v=1: 409/,
    );
    expect(error).toMatchObject({ removed: { containers: 1, networks: 1, volumes: 0 } });
    expect(engine.containers.map((o) => o.id)).toEqual(["stuck"]);
  });

  it("fails with the engine's answer when it cannot list", async () => {
    seed("s1");
    engine.failNext(1);
    await expect(reapSession(target(), "s1")).rejects.toThrow(
      /GET \/containers\/json\?all=1: 500 .*engine busy/,
    );
  });

  it("fails when the engine does not answer at all", async () => {
    const nowhere: ReapTarget = {
      kind: "engine",
      endpoint: { kind: "unix", socketPath: join(dir, "none.sock") },
    };
    await expect(reapSession(nowhere, "s1")).rejects.toThrow(/ENOENT/);
  });

  it.each(["", "*", "a=b", "a,b", " s1", "-s1"])(
    "refuses the session id %j, which would widen the filter",
    async (id) => {
      seed("s1");
      await expect(reapSession(target(), id)).rejects.toThrow(/invalid session id/);
      expect(engine.requests).toEqual([]);
    },
  );
});

/** A stand-in for Apple's `container` CLI, reading and writing its objects in a JSON file. */
function fakeCli(state: object): {
  command: string;
  calls: () => string[];
  state: () => Record<string, unknown[]>;
} {
  const cliDir = mkdtempSync(join(dir, "cli-"));
  const statePath = join(cliDir, "state.json");
  const logPath = join(cliDir, "calls.log");
  const command = join(cliDir, "container");
  writeFileSync(statePath, JSON.stringify(state));
  writeFileSync(logPath, "");
  writeFileSync(
    command,
    `#!${process.execPath}
const fs = require("node:fs");
const state = JSON.parse(fs.readFileSync(${JSON.stringify(statePath)}, "utf8"));
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(logPath)}, args.join(" ") + "\\n");
const kind = args[0] === "network" ? "networks" : args[0] === "volume" ? "volumes" : "containers";
const verb = kind === "containers" ? args[0] : args[1];
const idOf = (o) => o.id ?? o.name ?? o.configuration?.id;
if (verb === "list") {
  process.stdout.write(JSON.stringify(state[kind]));
} else if (verb === "delete") {
  const id = args[args.length - 1];
  const index = state[kind].findIndex((o) => idOf(o) === id && !o.ghost);
  if (index < 0) {
    process.stderr.write("Error: notFound: \\"" + id + " not found\\"\\n");
    process.exit(1);
  }
  state[kind].splice(index, 1);
  fs.writeFileSync(${JSON.stringify(statePath)}, JSON.stringify(state));
  process.stdout.write(id + "\\n");
} else {
  process.stderr.write("unknown command\\n");
  process.exit(64);
}
`,
  );
  chmodSync(command, 0o755);
  return {
    command,
    calls: () => readFileSync(logPath, "utf8").trim().split("\n"),
    state: () => JSON.parse(readFileSync(statePath, "utf8")) as Record<string, unknown[]>,
  };
}

const cliState = {
  containers: [
    // 1.x shape
    { id: "new1", configuration: { id: "new1", labels: labels("s1") }, status: { state: "running" } },
    // Before 1.0: status is a string, the id only inside configuration
    { status: "running", configuration: { id: "old1", labels: labels("s1") }, networks: [] },
    { id: "foreign", configuration: { id: "foreign", labels: labels("s2") }, status: { state: "stopped" } },
    { id: "unlabelled", configuration: { id: "unlabelled" }, status: { state: "running" } },
    {
      id: "ghost",
      configuration: { id: "ghost", labels: labels("s1") },
      status: { state: "stopped" },
      ghost: true,
    },
  ],
  networks: [
    { id: "default", state: "running", config: { id: "default" } },
    { id: "net1", state: "running", config: { id: "net1", labels: labels("s1") }, status: {} },
  ],
  volumes: [
    { name: "vol1", driver: "local", labels: labels("s1") },
    { name: "vol2", driver: "local", labels: labels("s2") },
  ],
};

describe("reapSession through the container CLI", () => {
  it("filters labels itself, reads both JSON generations, and deletes by id", async () => {
    const cli = fakeCli(cliState);
    await expect(reapSession({ kind: "cli", command: cli.command }, "s1")).resolves.toEqual({
      containers: 2,
      networks: 1,
      volumes: 1,
    });
    expect(cli.calls()).toEqual([
      "list --all --format json",
      "delete --force new1",
      "delete --force old1",
      "delete --force ghost",
      "network list --format json",
      "network delete net1",
      "volume list --format json",
      "volume delete vol1",
    ]);
    const left = cli.state();
    expect(left.containers).toHaveLength(3);
    expect(left.networks).toEqual([cliState.networks[0]]);
    expect(left.volumes).toEqual([cliState.volumes[1]]);
  });

  it("fails with the CLI's own message when it cannot list", async () => {
    const cli = fakeCli({ containers: "not an array", networks: [], volumes: [] });
    await expect(reapSession({ kind: "cli", command: cli.command }, "s1")).rejects.toThrow(
      /not a JSON array/,
    );
    const missing = join(dir, "no-such-container-cli");
    await expect(reapSession({ kind: "cli", command: missing }, "s1")).rejects.toThrow(/ENOENT/);
  });
});

/** Identifiers a transform may have injected: bundler helpers (`__name`, `__toESM`) and Vite's `__vite_ssr_*`. */
function injectedHelpers(text: string): string[] {
  // Tree-shaking annotations are comments, not code.
  const code = text.replaceAll(/\/\* [@#]__PURE__ \*\//g, "");
  const helpers = code.match(/\b__[A-Za-z_$][\w$]*/g) ?? [];
  // The only import() allowed is the one inside the `new Function` string.
  const imports = (code.match(/\bimport\s*\(/g) ?? []).length;
  const sanctioned = (code.match(/"return import\(specifier\)"/g) ?? []).length;
  return imports === sanctioned ? helpers : [...helpers, "import()"];
}

/** Runs `text` (a function's source) in a plain node child, with an empty environment. */
async function runStandalone(
  text: string,
  reapTarget: ReapTarget,
  sessionId: string,
  { oldNode = false } = {},
): Promise<unknown> {
  const file = join(mkdtempSync(join(dir, "standalone-")), "main.mjs");
  writeFileSync(
    file,
    // Node 20 before 20.16 has no process.getBuiltinModule.
    (oldNode ? "delete process.getBuiltinModule;\n" : "") +
      `const reapSession = (${text});\n` +
      "const result = await reapSession(JSON.parse(process.argv[2]), process.argv[3]);\n" +
      "process.stdout.write(JSON.stringify(result));\n",
  );
  const { stdout } = await run(process.execPath, [file, JSON.stringify(reapTarget), sessionId], { env: {} });
  return JSON.parse(stdout);
}

describe("reapSession as text (the watcher's program)", () => {
  it("carries no helper injected by the transform it went through (here Vitest's)", () => {
    expect(injectedHelpers(reapSession.toString())).toEqual([]);
  });

  it("runs standalone in a plain node against an engine on a unix socket", async () => {
    seed("s1");
    await expect(runStandalone(reapSession.toString(), target(), "s1")).resolves.toEqual({
      containers: 2,
      networks: 1,
      volumes: 1,
    });
    expect(engine.containers.map((o) => o.id)).toEqual(["c3", "c4"]);
    expect(engine.networks.map((o) => o.id)).toEqual(["n2"]);
    expect(engine.volumes.map((o) => o.id)).toEqual(["v2"]);
  });

  it("runs standalone in a node that has no process.getBuiltinModule (before 20.16)", async () => {
    seed("s1");
    await expect(runStandalone(reapSession.toString(), target(), "s1", { oldNode: true })).resolves.toEqual({
      containers: 2,
      networks: 1,
      volumes: 1,
    });
  });

  it("runs standalone in a plain node through the CLI", async () => {
    const cli = fakeCli(cliState);
    await expect(
      runStandalone(reapSession.toString(), { kind: "cli", command: cli.command }, "s1"),
    ).resolves.toEqual({ containers: 2, networks: 1, volumes: 1 });
  });

  // What a consumer's bundler may do to the shipped code: esbuild with keepNames wraps named
  // functions in __name(); CJS output rewrites imports. Neither may reach inside the function.
  it.each(["esm", "cjs"] as const)(
    "stays intact through an esbuild %s bundle with keepNames",
    async (format) => {
      const outfile = await bundle(
        'export { reapSession } from "./src/runtime/reaper/reap-session.ts";\n' +
          'export { watcherProgram } from "./src/runtime/reaper/start-reaper.ts";\n',
        join(dir, `bundle-${format}.${format === "esm" ? "mjs" : "cjs"}`),
        { format, keepNames: true },
      );
      const { stdout } = await run(process.execPath, [
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(outfile)});
       const { reapSession, watcherProgram } = m.reapSession ? m : m.default;
       process.stdout.write(JSON.stringify({ reap: reapSession.toString(), program: watcherProgram() }));`,
      ]);
      const texts = JSON.parse(stdout) as { reap: string; program: string };
      expect(readFileSync(outfile, "utf8")).toMatch(/__name\(/); // the bundle did use the helper elsewhere
      expect(injectedHelpers(texts.reap)).toEqual([]);
      expect(injectedHelpers(texts.program)).toEqual([]);
      seed("s1");
      await expect(runStandalone(texts.reap, target(), "s1")).resolves.toEqual({
        containers: 2,
        networks: 1,
        volumes: 1,
      });
    },
  );
});
