/**
 * examples/deploy-agent.mjs, run as a reader runs it (from the built package, so "openshell" and
 * its adapters resolve by name) on each engine: the echo agent image is deployed through the
 * agent-registry adapter until Ready, answers, streams, and is removed; Ctrl-C while it is still
 * Progressing removes it too. Each run has a state directory of its own (XDG_STATE_HOME), which the
 * test then opens to check that no sandbox of the adapter is left, and removes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenShell } from "openshell";
import { IDENTITY_LABELS, MANAGED_BY } from "openshell/adapters/agent-registry";
import { describe, expect, it } from "vitest";
import { echoChunks } from "../support/a2a-agent/echo-text.js";
import { a2aAgentImage } from "../support/a2a-agent/image.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../support/test-engines.js";
import { engineEnv } from "./program-engine.js";
import { type ProgramRun, runProgram } from "./run-program.js";

/** Runs the example; `interruptWhen`, if given, is a reader's Ctrl-C once stdout contains it. */
function runExample(
  env: NodeJS.ProcessEnv,
  interruptWhen?: string,
  args: string[] = [],
): Promise<ProgramRun> {
  return runProgram(process.execPath, ["examples/deploy-agent.mjs", ...args], {
    env,
    ...(interruptWhen === undefined ? {} : { interruptWhen }),
  });
}

/**
 * The adapter's sandboxes still on the gateway of `stateHome`, found by opening that state again;
 * the gateway is ephemeral, so closing it removes whatever remains (containers, network, firewall
 * chain, state).
 */
async function leftBehind(kind: "docker" | "podman", stateHome: string): Promise<string[]> {
  const os = await OpenShell.local({
    runtime: kind,
    runtimeOptions: { endpoint: kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint },
    stateDir: join(stateHome, "openshell", "local"),
    ephemeral: true,
  });
  try {
    const left = await os.sandboxes.list({ labels: { [IDENTITY_LABELS.managedBy]: MANAGED_BY } });
    return left.map((s) => s.name);
  } finally {
    await os.close();
  }
}

for (const kind of ["docker", "podman"] as const) {
  const env = {
    OPENSHELL_RUNTIME: kind,
    OPENSHELL_TEST_A2A_AGENT_IMAGE: a2aAgentImage,
    ...engineEnv(kind),
  };

  describe(`examples/deploy-agent.mjs on ${kind}`, () => {
    it("deploys the echo agent until Ready, gets its echoed reply and streamed chunks, and removes it", async () => {
      const stateHome = mkdtempSync(join(tmpdir(), "openshell-example-deploy-"));
      // Checked after the run's other assertions, and read (which removes what is left) even when
      // one of them fails, so a failing run leaves nothing on the engine.
      let left: string[] | undefined;
      try {
        const run = await runExample({ ...env, XDG_STATE_HOME: stateHome });
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
        const out = run.stdout;
        expect(out).toContain(`local gateway on ${kind}; deploying ${a2aAgentImage}`);
        expect(out).toMatch(
          /apply answered in \d+ ms: Progressing=True Ready=False Degraded=False \(sandbox ar-echo-ex-[a-z0-9]+\)/,
        );
        expect(out).toMatch(/\d+\.\d s {2}Progressing=True WaitingForAgent: /);
        expect(out).toMatch(/\d+\.\d s {2}Ready=True AgentAnswering: A2A agent "echo" answers on port 8080/);
        expect(out).toContain('invoke("hello") -> "echo: hello"');
        // The agent streams its reply in three chunks, each printed as it arrives.
        const chunks = echoChunks("hello, streamed").map((c) => JSON.stringify(c));
        expect(out).toContain(`stream("hello, streamed") -> ${chunks.join(" ")}\n`);
        expect(out).toMatch(/last log lines:\n( {2}\S+ +.+\n){1,5}/);
        expect(out).toMatch(/removed: Ready=False Removed: sandbox "ar-echo-ex-[a-z0-9]+" removed\n$/);
      } finally {
        left = await leftBehind(kind, stateHome);
        rmSync(stateHome, { recursive: true, force: true });
      }
      expect(left).toEqual([]);
    }, 240_000);

    it("an image the engine does not have: Degraded ImageNotFound, the message on stderr, exit 1", async () => {
      const stateHome = mkdtempSync(join(tmpdir(), "openshell-example-deploy-"));
      const image = `openshell-test/no-such-agent:${process.pid}`;
      let left: string[] | undefined;
      try {
        const run = await runExample({ ...env, XDG_STATE_HOME: stateHome }, undefined, [image]);
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(
          new RegExp(`Degraded=True ImageNotFound: image "${image}" is not in the ${kind} engine`),
        );
        expect(run.stderr).toContain(
          `the agent did not become ready: image "${image}" is not in the ${kind} engine`,
        );
        expect(run.stdout).toMatch(/removed: Ready=False Removed: nothing was deployed\n$/);
      } finally {
        left = await leftBehind(kind, stateHome);
        rmSync(stateHome, { recursive: true, force: true });
      }
      expect(left).toEqual([]);
    }, 240_000);

    it("Ctrl-C while the deploy is Progressing cancels it, removes the deployment and exits 130", async () => {
      const stateHome = mkdtempSync(join(tmpdir(), "openshell-example-deploy-"));
      // Checked after the run's other assertions, and read (which removes what is left) even when
      // one of them fails, so a failing run leaves nothing on the engine.
      let left: string[] | undefined;
      try {
        // Once the sandbox exists (a Ctrl-C before that has nothing to remove) and the agent is not yet
        // answering: the Node agent takes about a second to start.
        const run = await runExample({ ...env, XDG_STATE_HOME: stateHome }, "WaitingForSandbox");
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 130, stderr: "" });
        expect(run.stdout).toContain("Ctrl-C: canceling and removing the deployment");
        expect(run.stdout).not.toContain("Ready=True");
        expect(run.stdout).toMatch(/removed: Ready=False Removed: sandbox "ar-echo-ex-[a-z0-9]+" removed\n$/);
      } finally {
        left = await leftBehind(kind, stateHome);
        rmSync(stateHome, { recursive: true, force: true });
      }
      expect(left).toEqual([]);
    }, 240_000);
  });
}
