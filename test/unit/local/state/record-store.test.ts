import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlreadyExistsError, ConflictError, NotFoundError } from "../../../../src/errors.js";
import { STATE_DB_FILE } from "../../../../src/local/state/open-state-db.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";

let dir: string;
let store: LocalStateStore;
const label = (name: string, scope: string) => `template "${name}" in workspace "${scope}"`;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "openshell-records-")), "state");
  store = LocalStateStore.open(dir);
});

afterEach(async () => {
  store.close();
  await rm(join(dir, ".."), { recursive: true, force: true });
});

describe("RecordStore (LocalStateStore.records)", () => {
  it("inserts at version 1 and refuses the same kind, scope and name, in words naming it", () => {
    const first = store.records.insert("template", "default", "web", { image: "a" }, label);
    expect(first.resourceVersion).toBe(1);
    expect(() => store.records.insert("template", "default", "web", { image: "b" }, label)).toThrow(
      new AlreadyExistsError('template "web" in workspace "default" already exists'),
    );
    // Another scope or another kind is another record.
    store.records.insert("template", "team-a", "web", { image: "c" }, label);
    store.records.insert("service", "default", "web", { port: 80 }, label);
    expect(store.records.list("template").map((r) => [r.scope, r.record])).toEqual([
      ["default", { image: "a" }],
      ["team-a", { image: "c" }],
    ]);
    expect(store.records.count("template", "default")).toBe(1);
  });

  it("updates through a change, bumping the version, and refuses a stale expected version", () => {
    store.records.insert("template", "default", "web", { image: "a" }, label);
    const updated = store.records.update<{ image: string }>(
      "template",
      "default",
      "web",
      () => ({ image: "b" }),
      {
        label,
        expectedVersion: 1,
      },
    );
    expect(updated.resourceVersion).toBe(2);
    expect(() =>
      store.records.update("template", "default", "web", (r) => r, { label, expectedVersion: 1 }),
    ).toThrow(ConflictError);
    expect(() => store.records.update("template", "default", "gone", (r) => r, { label })).toThrow(
      new NotFoundError('template "gone" in workspace "default" not found'),
    );
    expect(store.records.get("template", "default", "web")?.record).toEqual({ image: "b" });
  });

  it("puts (insert or replace) keeping the creation time, and deletes one or a whole scope", () => {
    const first = store.records.put("chunk", "sandbox-1", "c1", { hits: 1 });
    const second = store.records.put("chunk", "sandbox-1", "c1", { hits: 2 });
    expect([first.resourceVersion, second.resourceVersion]).toEqual([1, 2]);
    expect(second.createdMs).toBe(first.createdMs);
    store.records.put("chunk", "sandbox-1", "c2", { hits: 1 });
    expect(store.records.delete("chunk", "sandbox-1", "c1")).toBe(true);
    expect(store.records.delete("chunk", "sandbox-1", "c1")).toBe(false);
    expect(store.records.deleteScope("chunk", "sandbox-1")).toBe(1);
    expect(store.records.list("chunk", "sandbox-1")).toEqual([]);
  });

  it("keeps all or none of the changes made atomically", () => {
    expect(() =>
      store.records.atomically(() => {
        store.records.put("chunk", "s", "a", 1);
        store.records.insert("template", "default", "web", {}, label);
        throw new Error("half-way");
      }),
    ).toThrow("half-way");
    expect(store.records.list("chunk")).toEqual([]);
    expect(store.records.list("template")).toEqual([]);
  });

  it("keeps records across a reopen, and upgrades a state directory written at schema 2", async () => {
    store.records.insert("workspace", "", "team-a", { labels: {} }, label);
    store.close();
    store = LocalStateStore.open(dir);
    expect(store.records.get("workspace", "", "team-a")?.record).toEqual({ labels: {} });
    store.close();

    const older = join(dir, "..", "older");
    store = LocalStateStore.open(older);
    store.close();
    const db = new Database(join(older, STATE_DB_FILE));
    db.exec("DROP TABLE records");
    db.pragma("user_version = 2");
    db.close();
    store = LocalStateStore.open(older);
    expect(store.records.list("workspace")).toEqual([]);
    store.records.insert("workspace", "", "team-b", {}, label);
    expect(store.records.count("workspace", "")).toBe(1);
  });
});
