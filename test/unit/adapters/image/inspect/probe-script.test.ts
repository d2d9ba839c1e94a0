import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseProbeOutput, probeOutputProblem } from "../../../../../adapters/image/inspect/parse-probe.js";
import { PROBE_SCRIPT } from "../../../../../adapters/image/inspect/probe-script.js";

const run = promisify(execFile);

/**
 * The probe under the shells images have, on this machine's own files (no engine needed): dash and
 * bash here; busybox ash runs it in the busybox images of the integration tests.
 */
describe("the probe script", () => {
  const shells = ["dash", "bash"];

  it("prints a whole report, the same under dash and bash", async () => {
    const outputs: string[] = [];
    for (const shell of shells) {
      const { stdout, stderr } = await run(shell, ["-c", PROBE_SCRIPT, "openshell-image-probe"]);
      expect(stderr).toBe("");
      expect(probeOutputProblem(stdout)).toBeUndefined();
      outputs.push(stdout);
    }
    expect(outputs[1]).toBe(outputs[0]);
    // This machine is Debian with bash and root: both must be found.
    const facts = parseProbeOutput(outputs[0] as string);
    expect(facts.bash?.path).toBe("/bin/bash");
    expect(facts.users.find((user) => user.name === "root")?.uid).toBe(0);
  });

  it("is POSIX sh: dash and bash --posix parse it without running it", async () => {
    await run("dash", ["-n", "-c", PROBE_SCRIPT]);
    await run("bash", ["--posix", "-n", "-c", PROBE_SCRIPT]);
  });
});
