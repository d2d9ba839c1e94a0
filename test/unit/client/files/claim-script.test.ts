import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimScript, scriptCommand } from "../../../../src/client/files/shell-scripts.js";

const run = promisify(execFile);

/** Runs the claim script with this host's `sh`, as a sandbox's would, on the PATH given. */
async function claim(path: string, temporary: string, PATH: string) {
  const [, ...args] = scriptCommand(claimScript, [path, temporary]);
  // `sh` by its path: the PATH given is the sandbox's, which may hold nothing.
  return run("/bin/sh", args, { env: { PATH } });
}

describe("claimScript (the archive path's first step)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "os-claim-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("makes the empty temporary and says the checksum tool and its owner", async () => {
    const temporary = join(dir, ".f.tmp1");
    const { stdout } = await claim(join(dir, "f"), temporary, process.env.PATH ?? "/usr/bin:/bin");
    const made = await stat(temporary);
    expect(made.size).toBe(0);
    expect(stdout).toBe(`openshell-files:begin\nmd5sum ${made.uid} ${made.gid}\n`);
  });

  it('says "- - -" when the image has no checksum tool, no stat and no id, so the write takes exec', async () => {
    // Only the shell's builtins are left (an empty PATH): true, printf, [ and command.
    const temporary = join(dir, ".g.tmp1");
    const { stdout } = await claim(join(dir, "g"), temporary, join(dir, "no-such-bin"));
    expect(stdout).toBe("openshell-files:begin\n- - -\n");
    expect((await stat(temporary)).size).toBe(0);
  });
});
