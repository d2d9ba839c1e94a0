/**
 * examples/files.mjs, run as a reader runs it (from the built package, so "openshell" resolves by
 * name) on each engine: a folder uploaded, a command run over it, one result read and the result
 * folder downloaded, everything removed; Ctrl-C in the middle removes everything too. The example
 * prints its gateway's id and state directory, which the test then looks for on the engine.
 */
import { describe, expect, it } from "vitest";
import { testImages } from "../support/test-engines.js";
import { engineEnv, gatewayLeftBehind } from "./program-engine.js";
import { runProgram } from "./run-program.js";

for (const kind of ["docker", "podman"] as const) {
  const env = {
    OPENSHELL_RUNTIME: kind,
    // A busybox without USER, as busybox:1.36 (the default, which no registry here could supply).
    OPENSHELL_DEMO_BASE_IMAGE: testImages.busybox,
    ...engineEnv(kind),
  };

  describe(`examples/files.mjs on ${kind}`, () => {
    it("uploads a folder, runs a command over it, reads and downloads the results, and cleans up", async () => {
      const run = await runProgram(process.execPath, ["examples/files.mjs"], { env });
      const left = await gatewayLeftBehind(kind, run.stdout);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
      const out = run.stdout;
      expect(out).toMatch(/uploaded directory \S+\/project -> \/sandbox\/project \(292 bytes\)\n/);
      expect(out).toContain("    file      644    22 README.txt\n    file      644   256 data.bin\n");
      expect(out).toMatch(/ {4}directory 755 +\d+ notes\n/);
      expect(out).toContain("report command exit 0\n");
      expect(out).toContain(
        "lines.txt:\n    ./README.txt: 2\n    ./data.bin: 1\n    ./notes/2026/day one.txt: 3\n",
      );
      expect(out).toMatch(
        /downloaded directory \/sandbox\/out -> \S+ \(\d+ bytes\): data\.sha256, lines\.txt\n/,
      );
      // sha256 of the bytes 0..255, computed in the sandbox over the uploaded file.
      expect(out).toContain(
        "data.sha256: 40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880  data.bin\n",
      );
      expect(out).toMatch(/sandbox sandbox-[0-9a-f]+ deleted: true\ngateway closed, local folder removed\n$/);
      expect(left).toEqual([]);
    }, 180_000);

    it("Ctrl-C once the sandbox is ready removes the sandbox and the gateway and exits 130", async () => {
      const run = await runProgram(process.execPath, ["examples/files.mjs"], {
        env,
        interruptWhen: "is ready",
      });
      const left = await gatewayLeftBehind(kind, run.stdout);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 130, stderr: "" });
      expect(run.stdout).toContain("Ctrl-C: stopping and removing everything\n");
      expect(run.stdout).not.toContain("report command exit");
      expect(run.stdout).toMatch(
        /sandbox sandbox-[0-9a-f]+ deleted: true\ngateway closed, local folder removed\n$/,
      );
      expect(left).toEqual([]);
    }, 180_000);
  });
}
