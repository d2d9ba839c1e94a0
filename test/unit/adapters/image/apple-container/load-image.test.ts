import { CapabilityError } from "openshell";
import { loadImage } from "openshell/adapters/image";
import { describe, expect, it } from "vitest";
import { fakeRuntime } from "../../../runtime/drivers/apple-container/helpers.js";
import { DEBIAN } from "./apple-cli.js";

describe("loadImage from Apple container", () => {
  it("is refused with a CapabilityError naming image-save before the CLI is run", async () => {
    // On a Mac, a gateway's cluster container would run in the same runtime the image is in.
    const { runtime, runner } = fakeRuntime();
    const error = await loadImage(runtime, {
      image: DEBIAN,
      into: { runtime, container: "openshell-cluster-dev" },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({ runtime: "apple-container", missing: ["image-save"] });
    expect((error as Error).message).toMatch(/^the apple-container runtime does not support: image-save\b/);
    expect(runner.calls).toEqual([]);
  });
});
