import { describe, expect, it } from "vitest";
import { createRuntime } from "../../src/runtime/create-runtime.js";
import { leftovers } from "../integration/local/local-gateway-support.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../support/test-engines.js";
import { engineEnv } from "./program-engine.js";
import { runProgram } from "./run-program.js";

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return runProgram(command, args, { env, killAfterMs: 240_000 });
}

/** The report between the markers, one line each. */
function report(stdout: string): string[] {
  const match = /----- BEGIN OPENSHELL MACOS ACCEPTANCE REPORT -----\n([\s\S]*?)----- END/.exec(stdout);
  if (!match?.[1]) throw new Error(`no report in the output:\n${stdout}`);
  return match[1].trimEnd().split("\n");
}

describe("scripts/macos-acceptance.sh", () => {
  it("refuses on this Linux machine with exit 2, saying why and what to run instead, and runs nothing", async () => {
    const result = await run("bash", ["scripts/macos-acceptance.sh"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^macos-acceptance: this machine runs Linux, not macOS: /);
    expect(result.stderr).toContain("nothing was run");
    expect(result.stderr).toContain("`bash scripts/test.sh`");
  });
});

for (const kind of ["docker", "podman"] as const) {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const env = {
    OPENSHELL_ACCEPTANCE_RUNTIME: kind,
    OPENSHELL_ACCEPTANCE_IMAGE: testImages.busybox,
    ...engineEnv(kind),
  };

  describe(`scripts/macos-acceptance.mjs pointed at ${kind}`, () => {
    it("passes every check, reports each, and leaves nothing of its gateway", async () => {
      const result = await run(process.execPath, ["scripts/macos-acceptance.mjs"], env);
      const lines = report(result.stdout);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
      const checks = lines.filter((line) => /^(PASS|FAIL|NOTE) /.test(line));
      // Each check's status and the first word of its name.
      expect(checks.map((line) => line.split(" ", 2).join(" ").replace(/:$/, ""))).toEqual([
        "PASS start",
        "PASS quickstart",
        "PASS quickstart",
        "PASS quickstart",
        "PASS quickstart",
        "PASS forward",
        "PASS egress",
        "PASS egress",
        "PASS policy",
        "PASS policy",
        "PASS cleanup",
        "PASS cleanup",
      ]);
      expect(lines.at(-1)).toBe("12 of 12 passed");
      expect(checks[0]).toContain(`OpenShell.local({ runtime: "${kind}", hostIsolation: "require" })`);
      expect(checks.find((line) => line.includes("a host the policy allows"))).toMatch(
        /through http:\/\/[\d.]+:\d+/,
      );
      const gatewayId = /gateway ([0-9a-f]+)/.exec(result.stdout)?.[1] ?? "";
      expect(gatewayId).not.toBe("");
      const runtime = await createRuntime({ runtime: kind, endpoint });
      try {
        expect(await leftovers(runtime, gatewayId)).toEqual([]);
      } finally {
        await runtime.close();
      }
    });

    it("reports a check that fails as FAIL with what it saw, goes on, and exits 1", async () => {
      const result = await run(process.execPath, ["scripts/macos-acceptance.mjs"], {
        ...env,
        OPENSHELL_ACCEPTANCE_IMAGE: "openshell-test/not-there:1",
      });
      const lines = report(result.stdout);
      expect(result.code).toBe(1);
      expect(lines.find((line) => line.startsWith("FAIL quickstart: create a sandbox"))).toMatch(
        /openshell-test\/not-there:1/,
      );
      // The cleanup checks still run and pass: a failed check does not leave the gateway behind.
      expect(lines.filter((line) => line.startsWith("PASS cleanup"))).toHaveLength(2);
      expect(lines.at(-1)).toMatch(/^\d+ of \d+ passed$/);
    });
  });
}
