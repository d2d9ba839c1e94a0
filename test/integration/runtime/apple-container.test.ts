import { describe, expect, it } from "vitest";
import { RuntimeNotFoundError } from "../../../src/errors.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { AppleContainerRuntime } from "../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import { appleContainerTarget } from "./apple-container-target.js";
import { describeRuntimeConformance } from "./conformance.suite.js";

const target = appleContainerTarget();

if (target.available) {
  // macOS with Apple's `container` CLI: the same conformance suite as Docker and Podman, for real.
  describeRuntimeConformance(target);
} else {
  // Everywhere else the CLI is absent, and asking for it must say so plainly rather than hang or
  // fall back to another runtime. (The driver's commands and parsing are covered by the unit tests'
  // recorded CLI outputs.)
  describe("apple-container where the CLI is absent", () => {
    it("connect fails with RuntimeNotFoundError naming the missing `container` command", async () => {
      const error = await AppleContainerRuntime.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntimeNotFoundError);
      expect((error as Error).message).toMatch(/container/);
    });

    it("OPENSHELL_RUNTIME=apple-container probes only the CLI and reports why it was not used", async () => {
      const error = await createRuntime({
        env: { ...process.env, OPENSHELL_RUNTIME: "apple-container" },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntimeNotFoundError);
      const probes = (error as RuntimeNotFoundError).probes;
      expect(probes.length).toBeGreaterThan(0);
      expect(probes.every((probe) => probe.runtime === "apple-container")).toBe(true);
    });
  });
}
