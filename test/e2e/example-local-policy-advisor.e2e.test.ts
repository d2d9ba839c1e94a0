/**
 * examples/local-policy-advisor.mjs, run as a reader runs it (from the built package, so "openshell"
 * resolves by name) on each engine: a template, a sandbox from it serving a page at a published URL,
 * a request the egress proxy refuses, the draft rule the policy advisor proposes for it, the approval
 * loaded into the running sandbox, the same request passing, and everything removed; Ctrl-C in the
 * middle removes everything too. The example prints its gateway's id and state directory, which the
 * test then looks for: no container, network or volume of that gateway on the engine, no directory.
 */
import { describe, expect, it } from "vitest";
import { testImages } from "../support/test-engines.js";
import { engineEnv, gatewayLeftBehind } from "./program-engine.js";
import { type ProgramRun, runProgram } from "./run-program.js";

/** Runs the example; `interruptWhen`, if given, is a reader's Ctrl-C once stdout contains it. */
function runExample(env: NodeJS.ProcessEnv, interruptWhen?: string): Promise<ProgramRun> {
  return runProgram(process.execPath, ["examples/local-policy-advisor.mjs"], {
    env,
    ...(interruptWhen === undefined ? {} : { interruptWhen }),
  });
}

for (const kind of ["docker", "podman"] as const) {
  const env = {
    OPENSHELL_RUNTIME: kind,
    // A busybox without USER, as busybox:1.36 (the default, which no registry here could supply).
    OPENSHELL_DEMO_BASE_IMAGE: testImages.busybox,
    ...engineEnv(kind),
  };

  describe(`examples/local-policy-advisor.mjs on ${kind}`, () => {
    it("serves the template's page at a URL, proposes the refused host as a rule, passes once it is approved, and cleans up", async () => {
      const run = await runExample(env);
      const left = await gatewayLeftBehind(kind, run.stdout);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
      const out = run.stdout;
      expect(out).toMatch(new RegExp(`runtime ${kind}, gateway [0-9a-f]+, state in \\S+\\n`));
      expect(out).toContain(`template web-page (version 1): ${testImages.busybox}\n`);
      const name = /\n {4}(\S+) is ready, made from template web-page\n/.exec(out)?.[1];
      expect(name).toMatch(/^sandbox-[0-9a-f]+$/);
      // The page the template's environment wrote, fetched from this machine at the published URL.
      expect(out).toMatch(
        new RegExp(
          `(http://127\\.0\\.0\\.1:\\d+/) -> ${name}:8080\\n {4}GET \\1: hello from a sandbox made from a template\\n`,
        ),
      );
      const port = /GET http:\/\/api\.example\.test:(\d+)\/report: no rule allows it/.exec(out)?.[1];
      // Refused by the proxy: wget saw a 403 and the API never saw the first request.
      expect(out).toContain(
        "no rule allows it\n    wget: server returned error: HTTP/1.1 403 Forbidden\n    (wget exit 1)\n",
      );
      expect(out).toMatch(/chunk [0-9a-f-]{36}: pending, 1 hit\(s\)\n/);
      expect(out).toContain(
        `proposed rule "allow_api_example_test_${port}":\n      api.example.test:${port} protocol rest, access read-only, enforce\n`,
      );
      expect(out).toContain(
        `why: HTTP GET requests from the sandbox to api.example.test:${port} were denied by the egress proxy`,
      );
      expect(out).toContain("policy version 2 is loaded\n");
      expect(out.match(/\[api\] GET \/report/g)).toHaveLength(1);
      expect(out).toContain(
        "it passes\n    [api] GET /report from the sandbox, through the proxy\n    report from the example API (/report)\n    (wget exit 0)\n",
      );
      expect(out).toMatch(
        new RegExp(
          `clean up: the service, the sandbox, the template\\n {4}service web deleted: true\\n {4}sandbox ${name} deleted: true\\n {4}template web-page deleted: true\\n {4}gateway closed, API server stopped\\n$`,
        ),
      );
      expect(left).toEqual([]);
    }, 180_000);

    it("Ctrl-C while the sandbox is asking for the API removes the sandbox and the gateway and exits 130", async () => {
      const run = await runExample(env, "no rule allows it");
      const left = await gatewayLeftBehind(kind, run.stdout);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 130, stderr: "" });
      expect(run.stdout).toContain("Ctrl-C: stopping and removing everything\n");
      expect(run.stdout).not.toContain("policy version");
      expect(run.stdout).toMatch(
        /clean up: the service, the sandbox, the template\n {4}service web deleted: true\n {4}sandbox sandbox-[0-9a-f]+ deleted: true\n {4}template web-page deleted: true\n {4}gateway closed, API server stopped\n$/,
      );
      expect(left).toEqual([]);
    }, 180_000);
  });
}
