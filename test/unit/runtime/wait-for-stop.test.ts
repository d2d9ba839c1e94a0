import { describe, expect, it } from "vitest";
import { CapabilityError, NotFoundError } from "../../../src/errors.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { waitForStop } from "../../../src/runtime/wait-for-stop.js";

const runtimeWhoseWait = (wait: () => Promise<number>) =>
  ({ waitContainer: wait }) as unknown as ContainerRuntime;

describe("waitForStop", () => {
  it("is the exit code where the runtime reports one", async () => {
    expect(
      await waitForStop(
        runtimeWhoseWait(async () => 3),
        "c1",
      ),
    ).toBe(3);
  });

  it("is undefined once stopped where the runtime reports no exit codes", async () => {
    const apple = runtimeWhoseWait(async () => {
      throw new CapabilityError("no exit codes", { runtime: "apple-container", missing: ["exit-codes"] });
    });
    expect(await waitForStop(apple, "c1")).toBeUndefined();
  });

  it("throws every other failure", async () => {
    const gone = new NotFoundError("no such container: c1");
    await expect(
      waitForStop(
        runtimeWhoseWait(async () => Promise.reject(gone)),
        "c1",
      ),
    ).rejects.toBe(gone);
    const other = new CapabilityError("no gpus", { runtime: "apple-container", missing: ["gpus"] });
    await expect(
      waitForStop(
        runtimeWhoseWait(async () => Promise.reject(other)),
        "c1",
      ),
    ).rejects.toBe(other);
  });
});
