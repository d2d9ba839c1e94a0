import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { build } from "esbuild";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlreadyExistsError, ConflictError, NotFoundError } from "../../../../src/errors.js";
import { STATE_DB_FILE } from "../../../../src/local/state/open-state-db.js";
import { SCHEMA_VERSION } from "../../../../src/local/state/schema.js";
import { defaultStateDir } from "../../../../src/local/state/state-dir.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
let dir: string;
let store: LocalStateStore;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "openshell-state-")), "state");
  store = LocalStateStore.open(dir);
});

afterEach(async () => {
  store.close();
  await rm(join(dir, ".."), { recursive: true, force: true });
});

const sandbox = (id: string, name: string, workspace = "default") => ({
  id,
  name,
  workspace,
  createdMs: Date.now(),
  record: { phase: "PROVISIONING", image: "busybox" },
});

describe("LocalStateStore", () => {
  it("keeps its directory 0700 and its files 0600 (credentials live there)", async () => {
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, STATE_DB_FILE))).mode & 0o777).toBe(0o600);
  });

  it("stores sandboxes by id and by live name, and frees the name on delete", () => {
    store.insertSandbox(sandbox("id-1", "web"));
    expect(store.getSandbox("id-1")?.record).toEqual({ phase: "PROVISIONING", image: "busybox" });
    expect(store.findSandbox("default", "web")?.id).toBe("id-1");
    expect(() => store.insertSandbox(sandbox("id-2", "web"))).toThrow(AlreadyExistsError);
    store.insertSandbox(sandbox("id-3", "web", "other")); // names are per workspace

    const updated = store.updateSandbox<{ phase: string }>("id-1", (r) => ({ ...r, phase: "READY" }));
    expect(updated.record.phase).toBe("READY");
    expect(store.listSandboxes().map((s) => s.id)).toEqual(["id-1", "id-3"]);
    expect(store.listSandboxes("default").map((s) => s.id)).toEqual(["id-1"]);

    store.markSandboxDeleted("id-1", Date.now());
    expect(store.findSandbox("default", "web")).toBeUndefined();
    expect(store.getSandbox("id-1")?.deletedMs).toBeTypeOf("number");
    expect(() => store.updateSandbox("id-1", (r) => r)).toThrow(NotFoundError);
    store.insertSandbox(sandbox("id-4", "web"));
    expect(store.findSandbox("default", "web")?.id).toBe("id-4");
  });

  it("refuses the same name from a second process sharing the directory", () => {
    const other = LocalStateStore.open(dir);
    try {
      store.insertSandbox(sandbox("id-1", "shared"));
      expect(() => other.insertSandbox(sandbox("id-2", "shared"))).toThrow(AlreadyExistsError);
      expect(other.findSandbox("default", "shared")?.id).toBe("id-1");
    } finally {
      other.close();
    }
  });

  it("keeps a sandbox's logs after delete, and drops the oldest deleted sandboxes past the cap", () => {
    store.close();
    store = LocalStateStore.open(dir, { deletedSandboxesKept: 2, logLinesPerSandbox: 3 });
    for (const n of [1, 2, 3]) {
      store.insertSandbox(sandbox(`id-${n}`, `s${n}`));
      store.appendLogs(`id-${n}`, [
        { timestampMs: 1000 * n, level: "INFO", source: "sandbox", target: "", message: `hello ${n}` },
      ]);
      store.markSandboxDeleted(`id-${n}`, 10_000 + n);
    }
    expect(store.getSandbox("id-1")).toBeUndefined();
    expect(store.readLogs("id-1", 100).lines).toEqual([]);
    expect(store.readLogs("id-3", 100).lines.map((l) => l.message)).toEqual(["hello 3"]);
  });

  it("trims each sandbox's log to the newest lines and reads the tail, since a time", () => {
    store.close();
    store = LocalStateStore.open(dir, { logLinesPerSandbox: 5 });
    const line = (n: number) => ({
      timestampMs: n,
      level: "INFO",
      source: "sandbox",
      target: "",
      message: `l${n}`,
    });
    store.appendLogs("id-1", [1, 2, 3, 4].map(line));
    store.appendLogs("id-1", [5, 6, 7].map(line));
    const all = store.readLogs("id-1", 100);
    expect(all.total).toBe(5);
    expect(all.lines.map((l) => l.message)).toEqual(["l3", "l4", "l5", "l6", "l7"]);
    expect(store.readLogs("id-1", 2).lines.map((l) => l.message)).toEqual(["l6", "l7"]);
    expect(store.readLogs("id-1", 100, 6).lines.map((l) => l.message)).toEqual(["l6", "l7"]);
  });

  it("versions providers: create once, replace at the current version, refuse a stale one", () => {
    expect(store.putProvider("default", "openai", { type: "openai", credentials: { KEY: "k1" } }, 0)).toBe(1);
    expect(() => store.putProvider("default", "openai", { type: "openai" }, 0)).toThrow(AlreadyExistsError);
    expect(store.putProvider("default", "openai", { type: "openai", credentials: { KEY: "k2" } }, 1)).toBe(2);
    expect(() => store.putProvider("default", "openai", { type: "openai" }, 1)).toThrow(ConflictError);
    expect(() => store.putProvider("default", "absent", { type: "openai" }, 3)).toThrow(NotFoundError);
    expect(store.getProvider("default", "openai")).toEqual({
      record: { type: "openai", credentials: { KEY: "k2" } },
      resourceVersion: 2,
    });
    expect(store.listProviders("default").map((p) => p.name)).toEqual(["openai"]);
    expect(store.deleteProvider("default", "openai")).toBe(true);
    expect(store.deleteProvider("default", "openai")).toBe(false);
  });

  it("numbers policy revisions per sandbox, newest first, and updates their status", () => {
    const v1 = store.appendPolicyRevision("id-1", (version) => ({ version, status: "PENDING" }));
    const v2 = store.appendPolicyRevision("id-1", (version) => ({ version, status: "PENDING" }));
    expect([v1, v2]).toEqual([1, 2]);
    store.updatePolicyRevision<{ status: string }>("id-1", 1, (r) => ({ ...r, status: "SUPERSEDED" }));
    expect(store.listPolicyRevisions("id-1", 10, 0)).toEqual([
      { version: 2, record: { version: 2, status: "PENDING" } },
      { version: 1, record: { version: 1, status: "SUPERSEDED" } },
    ]);
    expect(store.listPolicyRevisions("id-1", 1, 1).map((r) => r.version)).toEqual([1]);
  });

  it("stores inference routes per workspace", () => {
    store.putRoute("default", "inference.local", { provider: "openai", model: "m" });
    expect(store.getRoute("default", "inference.local")).toEqual({ provider: "openai", model: "m" });
    expect(store.getRoute("other", "inference.local")).toBeUndefined();
    expect(store.deleteRoute("default", "inference.local")).toBe(true);
  });

  it("refuses a database written by a newer schema, saying what to do", () => {
    store.close();
    const raw = new Database(join(dir, STATE_DB_FILE));
    raw.pragma("user_version = 999");
    raw.close();
    expect(() => LocalStateStore.open(dir)).toThrow(/newer than this SDK understands/);
    store = LocalStateStore.open(join(dir, "..", "fresh"));
  });

  it("survives a writer SIGKILLed mid-write: every batch is whole and the database is intact", async () => {
    // A child process appends batches of 50 log lines in a loop, one transaction each; we kill it
    // while it writes, then reopen: the count must be a whole number of batches.
    const out = join(repoRoot, ".tmp", "state-writer", `writer-${process.pid}.mjs`);
    await mkdir(join(out, ".."), { recursive: true });
    await build({
      stdin: {
        contents: `
          import { LocalStateStore } from "./src/local/state/state-store.ts";
          const store = LocalStateStore.open(process.argv[2], { logLinesPerSandbox: 1e9 });
          const batch = Array.from({ length: 50 }, (_, i) => ({ timestampMs: i, level: "INFO", source: "sandbox", target: "", message: "x".repeat(200) }));
          let n = 0;
          for (;;) { store.appendLogs("crash", batch); if (++n === 20) process.stdout.write("writing\\n"); }
        `,
        resolveDir: repoRoot,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["better-sqlite3"],
      outfile: out,
      logLevel: "silent",
    });
    const child = spawn(process.execPath, [out, dir], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 150));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));

    const reopened = LocalStateStore.open(dir);
    const total = reopened.readLogs("crash", 1).total;
    reopened.close();
    expect(total).toBeGreaterThanOrEqual(20 * 50);
    expect(total % 50).toBe(0);
    const raw = new Database(join(dir, STATE_DB_FILE), { readonly: true });
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    raw.close();
    await rm(out, { force: true });
  });
});

interface Settings {
  revision: number;
  values: Record<string, string>;
}

describe("LocalStateStore sandbox settings", () => {
  it("starts with none, replaces the record through a change, and keeps it across a reopen", () => {
    expect(store.getSandboxSettings("id-1")).toBeUndefined();
    const first = store.updateSandboxSettings<Settings>("id-1", (current) => {
      expect(current).toBeUndefined();
      return { revision: 1, values: { a: "1" } };
    });
    expect(first).toEqual({ revision: 1, values: { a: "1" } });
    store.updateSandboxSettings<Settings>("id-1", (current) => ({
      revision: (current?.revision ?? 0) + 1,
      values: { ...current?.values, b: "2" },
    }));
    store.close();
    store = LocalStateStore.open(dir);
    expect(store.getSandboxSettings("id-1")).toEqual({ revision: 2, values: { a: "1", b: "2" } });
    expect(store.getSandboxSettings("id-2")).toBeUndefined();
  });

  it("leaves the record as it was when the change throws", () => {
    store.updateSandboxSettings<Settings>("id-1", () => ({ revision: 1, values: {} }));
    expect(() =>
      store.updateSandboxSettings<Settings>("id-1", () => {
        throw new Error("refused");
      }),
    ).toThrow("refused");
    expect(store.getSandboxSettings("id-1")).toEqual({ revision: 1, values: {} });
  });

  it("drops a deleted sandbox's settings with its policy revisions", () => {
    store.insertSandbox({ id: "id-1", name: "web", workspace: "default", createdMs: 1, record: {} });
    store.updateSandboxSettings<Settings>("id-1", () => ({ revision: 1, values: {} }));
    store.appendPolicyRevision("id-1", (version) => ({ version }));
    store.markSandboxDeleted("id-1", 2);
    expect(store.getSandboxSettings("id-1")).toBeUndefined();
    expect(store.listPolicyRevisions("id-1", -1, 0)).toEqual([]);
  });
});

describe("LocalStateStore policy revisions", () => {
  it("reads one revision by version and rewrites several in one transaction", () => {
    for (let i = 0; i < 3; i++)
      store.appendPolicyRevision("id-1", (version) => ({ version, status: "LOADED" }));
    store.appendPolicyRevision("id-2", (version) => ({ version, status: "LOADED" }));
    expect(store.getPolicyRevision("id-1", 2)).toEqual({ version: 2, status: "LOADED" });
    expect(store.getPolicyRevision("id-1", 9)).toBeUndefined();

    const seen: number[] = [];
    const changed = store.updatePolicyRevisions<{ version: number; status: string }>(
      "id-1",
      (record, version) => {
        seen.push(version);
        return version < 3 ? { ...record, status: "SUPERSEDED" } : undefined;
      },
    );
    expect(changed).toBe(2);
    expect(seen).toEqual([1, 2, 3]);
    expect(store.listPolicyRevisions<{ status: string }>("id-1", -1, 0).map((r) => r.record.status)).toEqual([
      "LOADED",
      "SUPERSEDED",
      "SUPERSEDED",
    ]);
    expect(store.getPolicyRevision("id-2", 1)).toEqual({ version: 1, status: "LOADED" });
  });

  it("rolls every change back when one throws", () => {
    store.appendPolicyRevision("id-1", (version) => ({ version, status: "LOADED" }));
    store.appendPolicyRevision("id-1", (version) => ({ version, status: "PENDING" }));
    expect(() =>
      store.updatePolicyRevisions<{ status: string }>("id-1", (record, version) => {
        if (version === 2) throw new NotFoundError("stop");
        return { ...record, status: "SUPERSEDED" };
      }),
    ).toThrow(NotFoundError);
    expect(store.getPolicyRevision("id-1", 1)).toEqual({ version: 1, status: "LOADED" });
  });
});

describe("LocalStateStore providers of every workspace", () => {
  it("lists them all by name, then workspace, when no workspace is given", () => {
    store.putProvider("team", "b", { type: "github" }, 0);
    store.putProvider("default", "b", { type: "openai" }, 0);
    store.putProvider("team", "a", { type: "gitlab" }, 0);
    expect(store.listProviders().map((p) => [p.name, p.record])).toEqual([
      ["a", { type: "gitlab" }],
      ["b", { type: "openai" }],
      ["b", { type: "github" }],
    ]);
    expect(store.listProviders("team").map((p) => p.name)).toEqual(["a", "b"]);
  });
});

describe("schema upgrade", () => {
  it("upgrades a state directory written at schema 1, keeping what it holds", () => {
    store.putProvider("default", "llm", { type: "openai" }, 0);
    store.close();
    const raw = new Database(join(dir, STATE_DB_FILE));
    raw.exec("DROP TABLE sandbox_settings; DROP TABLE records");
    raw.pragma("user_version = 1");
    raw.close();

    store = LocalStateStore.open(dir);
    expect(SCHEMA_VERSION).toBe(3);
    expect(store.getProvider("default", "llm")?.record).toEqual({ type: "openai" });
    store.updateSandboxSettings("id-1", () => ({ ok: true }));
    expect(store.getSandboxSettings("id-1")).toEqual({ ok: true });
    const check = new Database(join(dir, STATE_DB_FILE), { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(3);
    check.close();
  });
});

describe("defaultStateDir", () => {
  it("follows XDG_STATE_HOME, else ~/.local/state", () => {
    expect(defaultStateDir({ XDG_STATE_HOME: "/x/state", HOME: "/home/u" })).toBe("/x/state/openshell/local");
    expect(defaultStateDir({ HOME: "/home/u" })).toBe("/home/u/.local/state/openshell/local");
    expect(defaultStateDir({ XDG_STATE_HOME: "relative", HOME: "/home/u" })).toBe(
      "/home/u/.local/state/openshell/local",
    );
  });
});
