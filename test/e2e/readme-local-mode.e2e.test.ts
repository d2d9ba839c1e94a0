/**
 * The README's local-mode example, run exactly as a reader would copy it (from the built package,
 * the same way `import "openshell"` resolves for them), on each engine: it must run without an
 * image registry and its server must answer with the page, not a 404.
 */

import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../support/test-engines.js";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
// Inside the package (so "openshell" resolves to it by name) and ignored by git and lint.
const scratch = join(repoRoot, ".tmp", "readme-examples");

/** The first ```ts block after the heading. */
async function readmeBlock(heading: string): Promise<string> {
  const readme = await readFile(join(repoRoot, "README.md"), "utf8");
  const at = readme.indexOf(`\n${heading}\n`);
  if (at === -1) throw new Error(`README.md has no heading "${heading}"`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match?.[1]) throw new Error(`README.md has no ts block after "${heading}"`);
  return match[1];
}

function runNode(
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [file], { cwd: repoRoot, env, timeout: 90_000 }, (error, stdout, stderr) =>
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("README: local mode", () => {
  for (const [runtime, endpoint, hostVariable] of [
    ["docker", dockerTestEndpoint, "DOCKER_HOST"],
    ["podman", podmanTestEndpoint, "CONTAINER_HOST"],
  ] as const) {
    it(`runs as written on ${runtime} and fetches the page the sandbox serves`, async () => {
      const code = await readmeBlock("## Local mode (`OpenShell.local()`)");
      await mkdir(scratch, { recursive: true });
      const file = join(scratch, `local-mode-${runtime}.mjs`);
      await writeFile(file, code);
      const socketPath = endpoint.kind === "unix" ? endpoint.socketPath : "";
      const result = await runNode(file, {
        ...process.env,
        OPENSHELL_RUNTIME: runtime,
        [hostVariable]: `unix://${socketPath}`,
        OPENSHELL_IMAGE: testImages.busybox,
      });
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toContain("hello from the sandbox");
      expect(result.stdout).not.toMatch(/404/);
    });
  }
});
