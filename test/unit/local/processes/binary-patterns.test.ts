import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compileBinaryPatterns,
  matchChain,
  resolveInRoot,
} from "../../../../src/local/processes/binary-patterns.js";
import { BinaryPins } from "../../../../src/local/processes/binary-pins.js";
import type { ProcessLink } from "../../../../src/local/processes/process-chain.js";

const problem = (i: number, why: string) => new Error(`binaries[${i}].path ${why}`);
const compile = (...paths: string[]) =>
  compileBinaryPatterns(
    paths.map((path) => ({ path })),
    problem,
  );
const link = (pid: number, exe: string): ProcessLink => ({ pid, exe, deleted: false });

/** A sandbox's root as Debian lays it out: /bin -> usr/bin, /bin/sh -> dash, an absolute link too. */
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "openshell-root-"));
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  writeFileSync(join(root, "usr/bin/dash"), "");
  writeFileSync(join(root, "usr/bin/python3.11"), "");
  symlinkSync("usr/bin", join(root, "bin"));
  symlinkSync("dash", join(root, "usr/bin/sh"));
  symlinkSync("/usr/bin/python3.11", join(root, "usr/local/bin/python"));
  symlinkSync("loop", join(root, "usr/bin/loop"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("binaries paths", () => {
  it("resolves symlinks inside the sandbox's root, absolute targets included, not the host's", async () => {
    expect(await resolveInRoot(root, "/bin/sh")).toBe("/usr/bin/dash");
    expect(await resolveInRoot(root, "/usr/local/bin/python")).toBe("/usr/bin/python3.11");
    expect(await resolveInRoot(root, "/usr/bin/../bin/dash")).toBe("/usr/bin/dash");
    // What does not exist is kept as written from there on; a loop ends after Linux's 40 links.
    expect(await resolveInRoot(root, "/bin/missing/x")).toBe("/usr/bin/missing/x");
    expect(await resolveInRoot(root, "/usr/bin/loop")).toBe("/usr/bin/loop");
  });

  it("matches an exact path through its symlinks, the process or any ancestor", async () => {
    const script = [link(30, "/usr/bin/curl"), link(20, "/usr/bin/dash"), link(10, "/usr/bin/python3.11")];
    expect((await matchChain(compile("/bin/sh"), script, root))?.link.pid).toBe(20);
    expect((await matchChain(compile("/usr/local/bin/python"), script, root))?.link.pid).toBe(10);
    expect((await matchChain(compile("/usr/bin/curl"), script, root))?.link.pid).toBe(30);
    expect(await matchChain(compile("/usr/bin/wget", "/bin/bash"), script, root)).toBeUndefined();
  });

  it("reads * as one path segment and ** as any number", async () => {
    const curl = [link(1, "/usr/local/lib/node/bin/curl")];
    expect(await matchChain(compile("/usr/*/curl"), curl, root)).toBeUndefined();
    expect((await matchChain(compile("/usr/**/curl"), curl, root))?.pattern.path).toBe("/usr/**/curl");
    expect((await matchChain(compile("/usr/local/lib/*/bin/cur*"), curl, root))?.link.pid).toBe(1);
    // Other characters are literal: a dot is not "any character".
    expect(await matchChain(compile("/usr/local/lib/node/bin/c.rl*"), curl, root)).toBeUndefined();
  });

  it("refuses an empty or relative path naming the field, and accepts a relative glob", () => {
    expect(() => compile("/usr/bin/curl", "")).toThrow(/^binaries\[1\]\.path is empty/);
    expect(() => compile("curl")).toThrow(/^binaries\[0\]\.path "curl" is not an absolute path/);
    expect(compile("**/curl")[0]?.glob).toBeInstanceOf(RegExp);
  });
});

describe("pinned hashes", () => {
  it("pins a path's hash on first use per sandbox and reports the pinned one when it differs", () => {
    const pins = new BinaryPins();
    expect(pins.check("sb1", "/tmp/tool", "aaa")).toBeUndefined();
    expect(pins.check("sb1", "/tmp/tool", "aaa")).toBeUndefined();
    expect(pins.check("sb1", "/tmp/tool", "bbb")).toBe("aaa");
    // Another sandbox pins its own.
    expect(pins.check("sb2", "/tmp/tool", "bbb")).toBeUndefined();
    pins.forget("sb1");
    expect(pins.check("sb1", "/tmp/tool", "bbb")).toBeUndefined();
  });
});
