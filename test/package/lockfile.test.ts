/**
 * `npm ci` must install from the committed lockfile on a fresh clone, on any platform: the lock has
 * to record every platform's optional binaries (biome, buf, esbuild, rollup), not only this
 * machine's, or npm refuses with "Missing: ... from lock file".
 */

import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

interface LockEntry {
  optionalDependencies?: Record<string, string>;
}

describe("package-lock.json", () => {
  it("records every optional dependency of every locked package, for all platforms", async () => {
    const lock = JSON.parse(await readFile(join(repoRoot, "package-lock.json"), "utf8")) as {
      packages: Record<string, LockEntry>;
    };
    const locked = new Set(Object.keys(lock.packages));
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        // npm looks for a dependency beside the package, then in each enclosing node_modules.
        const candidates: string[] = [];
        let dir = path;
        for (;;) {
          candidates.push(`${dir ? `${dir}/` : ""}node_modules/${name}`);
          const cut = dir.lastIndexOf("/node_modules/");
          if (dir === "") break;
          dir = cut === -1 ? "" : dir.slice(0, cut);
        }
        if (!candidates.some((c) => locked.has(c))) missing.push(`${name} (for ${path || "the root"})`);
      }
    }
    expect(missing, "regenerate the lock with `npm install --package-lock-only`").toEqual([]);
  });

  it("is accepted by `npm ci` as it is committed", async () => {
    // A copy holding only the manifest and the lock: npm checks they agree before installing
    // anything, and --dry-run stops there, so this neither touches node_modules nor builds.
    const dir = await mkdtemp(join(tmpdir(), "openshell-lock-"));
    try {
      await copyFile(join(repoRoot, "package.json"), join(dir, "package.json"));
      await copyFile(join(repoRoot, "package-lock.json"), join(dir, "package-lock.json"));
      const result = await new Promise<{ code: number; output: string }>((done) => {
        execFile(
          "npm",
          ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"],
          { cwd: dir, timeout: 120_000 },
          (error, stdout, stderr) =>
            done({
              code: error ? Number((error as { code?: number }).code ?? 1) : 0,
              output: `${stdout}${stderr}`,
            }),
        );
      });
      expect(result.output).not.toMatch(/Missing: .* from lock file/);
      expect(result.code, result.output).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
