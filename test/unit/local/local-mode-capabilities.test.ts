import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CapabilityError } from "../../../src/errors.js";
import { LocalGateway } from "../../../src/local/local-gateway.js";
import { fakeRuntime } from "../runtime/drivers/apple-container/helpers.js";

describe("the capabilities local mode requires", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "openshell-local-caps-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("do not include log timestamps: Apple container is refused for its networks alone", async () => {
    const { runtime, runner } = fakeRuntime();
    const stateDir = join(dir, "state");
    const starting = LocalGateway.start({ runtime, stateDir });
    await expect(starting).rejects.toBeInstanceOf(CapabilityError);
    await expect(starting).rejects.toMatchObject({
      runtime: "apple-container",
      missing: ["internal-networks"],
    });
    // Refused before anything was made: no CLI call, no state directory.
    expect(runner.argv).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    await runtime.close();
  });
});
