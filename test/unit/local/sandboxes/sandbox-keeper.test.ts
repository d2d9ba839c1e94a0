import { describe, expect, it, vi } from "vitest";
import { SandboxKeeper } from "../../../../src/local/sandboxes/sandbox-keeper.js";
import type { LocalStateStore } from "../../../../src/local/state/state-store.js";
import type { ContainerRuntime } from "../../../../src/runtime/container-runtime.js";

const keeper = (onSandboxGone: (id: string) => void) =>
  new SandboxKeeper({
    runtime: {} as ContainerRuntime,
    store: {} as LocalStateStore,
    policyVersion: () => 1,
    gatewayLabels: {},
    onSandboxGone,
  });

describe("SandboxKeeper", () => {
  it("tells the gateway when it retires a sandbox, so caches kept for it elsewhere go too", () => {
    const gone = vi.fn();
    keeper(gone).forget("sandbox-1");
    expect(gone).toHaveBeenCalledWith("sandbox-1");
  });

  it("retires the sandbox even when that listener fails", () => {
    expect(() =>
      keeper(() => {
        throw new Error("cache trouble");
      }).forget("sandbox-1"),
    ).not.toThrow();
  });
});
