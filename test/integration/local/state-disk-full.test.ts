import { execFile } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResourceExhaustedError } from "../../../src/errors.js";
import { STATE_DB_FILE } from "../../../src/local/state/open-state-db.js";
import { LocalStateStore } from "../../../src/local/state/state-store.js";

const run = promisify(execFile);

let created = Date.now();
/** A record of some size, so that a full disk is met within a few writes; listed in creation order. */
const sandbox = (name: string) => ({
  id: `id-${name}`,
  name,
  workspace: "default",
  createdMs: created++,
  record: { image: "busybox", padding: "x".repeat(4096) },
});

/** Writes `path` until the filesystem says ENOSPC, in ever smaller pieces. */
function fill(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const size of [64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x2a);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The local gateway's state store when the disk of its state directory fills up: a real filesystem
 * that runs out of space (a 1 MiB tmpfs, so the test needs root, as the host firewall test does).
 * A write that does not fit is a ResourceExhaustedError that names the directory and says what to
 * do (not SQLite's bare "database or disk is full", which the gateway would answer as INTERNAL), the
 * database stays whole, and once space is freed the store takes writes again and keeps what it had.
 */
describe("the state store on a full disk", () => {
  let dir: string;
  let mounted = false;
  /** Closed at the end whatever happened: an open database keeps the tmpfs busy. */
  let store: LocalStateStore | undefined;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) {
      throw new Error("the disk-full state store test needs root: it mounts a tmpfs as the state directory");
    }
    dir = mkdtempSync(join(tmpdir(), "openshell-state-full-"));
    await run("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dir]);
    mounted = true;
  });
  afterAll(async () => {
    store?.close();
    if (mounted) await run("umount", [dir]);
    if (dir) rmdirSync(dir);
  });

  it("refuses a write that does not fit with ResourceExhaustedError naming the directory, and loses nothing", () => {
    store = LocalStateStore.open(dir);
    const before = ["a", "b", "c"];
    for (const name of before) store.insertSandbox(sandbox(name));
    fill(join(dir, "filler"));

    const written: string[] = [];
    let refusal: unknown;
    for (let i = 0; i < 200 && refusal === undefined; i++) {
      try {
        store.insertSandbox(sandbox(`full-${i}`));
        written.push(`full-${i}`);
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toBeInstanceOf(ResourceExhaustedError);
    expect((refusal as Error).message).toBe(
      `the local gateway's state directory ${dir} is full: its disk has no space left, so the change ` +
        "was not saved. Free space there and try again",
    );

    rmSync(join(dir, "filler"));
    store.insertSandbox(sandbox("after"));
    store.close();
    store = undefined;

    const db = new Database(join(dir, STATE_DB_FILE), { readonly: true });
    expect(db.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
    db.close();
    store = LocalStateStore.open(dir);
    expect(store.listSandboxes().map((s) => s.name)).toEqual([...before, ...written, "after"]);
  });
});
