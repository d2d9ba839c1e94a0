import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  claimStateDir,
  claimTemporaryStateDir,
  releaseStateDir,
  STATE_ENTRIES,
} from "../../../../src/local/state/state-dir.js";

const bases: string[] = [];
function base(): string {
  const dir = mkdtempSync(join(tmpdir(), "openshell-state-dir-"));
  bases.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of bases.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes every entry the gateway keeps, as a gateway would. */
function writeGatewayEntries(dir: string): void {
  for (const file of [
    STATE_ENTRIES.database,
    ...STATE_ENTRIES.databaseCompanions,
    STATE_ENTRIES.gatewayId,
    STATE_ENTRIES.egressPort,
  ]) {
    writeFileSync(join(dir, file), "x");
  }
  for (const folder of [STATE_ENTRIES.egressTls, STATE_ENTRIES.listenTls]) {
    mkdirSync(join(folder === STATE_ENTRIES.egressTls ? join(dir, folder, "public") : join(dir, folder)), {
      recursive: true,
    });
    writeFileSync(join(dir, folder, "ca.crt"), "x");
  }
}

describe("releasing a state directory", () => {
  it("removes only the gateway's entries from a directory that was there, keeping the user's", () => {
    const dir = base();
    writeFileSync(join(dir, "mine.txt"), "mine");
    mkdirSync(join(dir, "tls-backup"));
    const claim = claimStateDir(dir);
    expect(claim.made).toBeUndefined();
    writeGatewayEntries(dir);
    releaseStateDir(claim);
    expect(readdirSync(dir).sort()).toEqual(["mine.txt", "tls-backup"]);
  });

  it("removes the directories it made for the path, up to the outermost, when nothing else is in them", () => {
    const root = base();
    const dir = join(root, "a", "b", "c");
    const claim = claimStateDir(dir);
    expect(claim.made).toBe(join(root, "a"));
    writeGatewayEntries(dir);
    releaseStateDir(claim);
    expect(readdirSync(root)).toEqual([]);
  });

  it("stops at a directory it made that holds something of the user's", () => {
    const root = base();
    const dir = join(root, "a", "b");
    const claim = claimStateDir(dir);
    writeGatewayEntries(dir);
    writeFileSync(join(root, "a", "user.txt"), "put there while the gateway ran");
    releaseStateDir(claim);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(join(root, "a"))).toEqual(["user.txt"]);
  });

  it("removes a temporary directory of its own whole", () => {
    const claim = claimTemporaryStateDir();
    writeGatewayEntries(claim.dir);
    writeFileSync(join(claim.dir, "anything"), "x");
    releaseStateDir(claim);
    expect(existsSync(claim.dir)).toBe(false);
  });
});
