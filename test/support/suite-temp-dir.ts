import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Vitest global setup: every temporary file or folder the suite makes (the tests' own, and
 * those the SDK makes, such as an ephemeral gateway's state directory) goes into one folder per
 * run, set as TMPDIR before the test workers start, and removed when the run ends. A run leaves
 * nothing in the system's temporary folder, whichever test forgot to clean up after itself.
 */
export default function setup(): () => void {
  const runDir = mkdtempSync(join(tmpdir(), "openshell-suite-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = runDir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const left = readdirSync(runDir);
    rmSync(runDir, { recursive: true, force: true });
    if (process.env.OPENSHELL_TEST_LIST_TEMP === "1" && left.length > 0) {
      console.log(`temporary entries the run left (now removed):\n  ${left.sort().join("\n  ")}`);
    }
  };
}
