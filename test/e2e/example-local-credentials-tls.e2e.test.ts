/**
 * examples/local-credentials-tls.mjs, run as a reader runs it (from the built package, so "openshell"
 * resolves by name) on each engine: an HTTPS API on this host with its own CA, a provider's token
 * bound to it by the policy's credential_binding, a sandbox whose environment holds only the
 * placeholder, the API getting the real token, a path no rule allows refused, the token refused to
 * another host, and everything removed; Ctrl-C in the middle removes everything too. The example
 * prints its gateway's id and state directory, which the test then looks for on the engine.
 */
import { describe, expect, it } from "vitest";
import { testImages } from "../support/test-engines.js";
import { engineEnv, gatewayLeftBehind } from "./program-engine.js";
import { type ProgramRun, runProgram } from "./run-program.js";

/** Runs the example; `interruptWhen`, if given, is a reader's Ctrl-C once stdout contains it. */
function runExample(env: NodeJS.ProcessEnv, interruptWhen?: string): Promise<ProgramRun> {
  return runProgram(process.execPath, ["examples/local-credentials-tls.mjs"], {
    env,
    ...(interruptWhen === undefined ? {} : { interruptWhen }),
  });
}

const cleanUp =
  /\d+\. clean up: the sandbox, the provider\n {4}sandbox sandbox-[0-9a-f]+: gone\n {4}provider example-gcp deleted: true\n {4}gateway closed, API server stopped\n$/;

for (const kind of ["docker", "podman"] as const) {
  const env = {
    OPENSHELL_RUNTIME: kind,
    OPENSHELL_DEMO_CURL_IMAGE: testImages.curl,
    ...engineEnv(kind),
  };

  describe(`examples/local-credentials-tls.mjs on ${kind}`, () => {
    it("keeps the token out of the sandbox, sends it to the bound HTTPS API only, refuses a path no rule allows, and cleans up", async () => {
      const run = await runExample(env);
      const left = await gatewayLeftBehind(kind, run.stdout);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
      const out = run.stdout;
      expect(out).toMatch(new RegExp(`runtime ${kind}, gateway [0-9a-f]+, state in \\S+\\n`));
      const token = /the token: (ya29\.example-[0-9a-f]{24})\n/.exec(out)?.[1] ?? "no token printed";
      const port = /https:\/\/127\.0\.0\.1:(\d+), certificate for/.exec(out)?.[1] ?? "no port printed";
      // The sandbox has the placeholder, and curl trusts the gateway's CA through its bundle.
      expect(out).toMatch(/\n {4}GCP_ADC_ACCESS_TOKEN=openshell:resolve:env:v\d+_GCP_ADC_ACCESS_TOKEN\n/);
      expect(out).toContain("    CURL_CA_BUNDLE=/etc/openshell-tls/ca-bundle.pem\n");
      expect(out).toContain("the token anywhere in it: false\n");
      // The main process holds the same placeholder, and not the token either.
      const placeholder = /\n {4}(GCP_ADC_ACCESS_TOKEN=\S+)\n/.exec(out)?.[1];
      expect(out).toContain(`    main process: ${placeholder}; the token in it: false\n`);
      // The API got one request, with the real token, and answered it; the sandbox saw the answer.
      expect(out.match(/\[api\]/g)).toHaveLength(1);
      expect(out).toContain(
        `    [api] GET /v1/projects for api.example.test:${port}, Authorization: Bearer ${token}\n` +
          '    {"projects":["example-project"]}\n    (HTTP 200)\n',
      );
      expect(out).toContain(
        '    openshell egress proxy: rule "example-api": no allow rule matches GET /admin/keys\n    (HTTP 403)\n',
      );
      expect(out).toMatch(
        new RegExp(
          `other\\.example\\.test:${port}/v1/projects\\n {4}\\{"code":"credential_endpoint_mismatch",.*the request was not sent"\\}\\n {4}\\(HTTP 403\\)\\n`,
        ),
      );
      // Printed where the example says it is the token and where the API saw it; nowhere else.
      expect(out.split(token)).toHaveLength(3);
      expect(out).toMatch(cleanUp);
      expect(left).toEqual([]);
    }, 180_000);

    it("Ctrl-C once the sandbox is ready removes the sandbox, the provider and the gateway and exits 130", async () => {
      const run = await runExample(env, " is ready\n");
      const left = await gatewayLeftBehind(kind, run.stdout);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 130, stderr: "" });
      expect(run.stdout).toContain("Ctrl-C: stopping and removing everything\n");
      expect(run.stdout).not.toContain("[api]");
      expect(run.stdout).toMatch(cleanUp);
      expect(left).toEqual([]);
    }, 180_000);
  });
}
