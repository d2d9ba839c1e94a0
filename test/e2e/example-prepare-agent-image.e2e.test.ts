/**
 * examples/prepare-agent-image.mjs, run as a reader runs it (from the built package, so "openshell"
 * and "openshell/adapters/image" resolve by name) on each engine: the Debian test image is inspected,
 * prepared for real with apt, and a local-mode sandbox from the result runs as the sandbox user.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { testImages } from "../support/test-engines.js";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

function runExample(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["examples/prepare-agent-image.mjs", ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 240_000 },
      (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function removeImage(cli: string, image: string): Promise<void> {
  return new Promise((done) => execFile(cli, ["rmi", "-f", image], () => done()));
}

for (const kind of ["docker", "podman"] as const) {
  describe(`examples/prepare-agent-image.mjs on ${kind}`, () => {
    it("reports the Debian image's gaps, prepares it, and runs a sandbox from it as the sandbox user", async () => {
      const tag = `openshell-test/example-prepared-${kind}:${process.pid}`;
      try {
        const { code, stdout, stderr } = await runExample([testImages.debian, tag], {
          OPENSHELL_RUNTIME: kind,
        });
        expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
        expect(stdout).toContain(`${testImages.debian} on ${kind}: 3 gaps`);
        expect(stdout).toMatch(/- iproute2: /);
        expect(stdout).toContain(`${tag} built; added:`);
        expect(stdout).toMatch(/\+ iproute2 \(apt-get install iproute2\)/);
        expect(stdout).toMatch(/: user=sandbox uid=1000, ip utility, iproute2-/);
      } finally {
        await removeImage(kind, tag);
      }
    }, 240_000);
  });
}
