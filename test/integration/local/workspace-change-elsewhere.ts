import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { STATE_DB_FILE } from "../../../src/local/state/open-state-db.js";

/**
 * What the other process runs: open the state database as another gateway would, then in a write
 * transaction delete the workspace's record (an empty workspace's delete) or mark it terminating (a
 * delete refused while it holds something), say so, and commit only after `holdMs`. Until then
 * readers see the workspace as it was and writers wait for the lock (WAL mode).
 */
const SCRIPT = `
const Database = require(process.argv[1]);
const [file, workspace, change, holdMs] = process.argv.slice(2);
const db = new Database(file, { timeout: 10000 });
db.exec("BEGIN IMMEDIATE");
const where = "WHERE kind = 'workspace' AND scope = '' AND name = ?";
if (change === "delete") db.prepare("DELETE FROM records " + where).run(workspace);
else db.prepare("UPDATE records SET record = json_set(record, '$.terminating', json('true')) " + where).run(workspace);
process.stdout.write("locked\\n");
setTimeout(() => { db.exec("COMMIT"); db.close(); }, Number(holdMs));
`;

/**
 * Deletes a workspace (or begins its delete: TERMINATING) from another process sharing `stateDir`,
 * holding the write lock for `holdMs` before the change commits. Resolves once the change is written
 * but not yet committed; `done` settles when that process has committed and exited.
 */
export async function workspaceChangeInAnotherProcess(
  stateDir: string,
  workspace: string,
  change: "delete" | "terminate",
  holdMs: number,
): Promise<{ done: Promise<void> }> {
  const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
  const child = spawn(
    process.execPath,
    ["-e", SCRIPT, sqlite, join(stateDir, STATE_DB_FILE), workspace, change, String(holdMs)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`the other process exited ${code}: ${stderr}`)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("locked")) resolve();
    });
    done.then(() => reject(new Error("the other process ended before taking the lock")), reject);
  });
  return { done };
}
