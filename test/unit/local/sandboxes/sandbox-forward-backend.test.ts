import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { SandboxPhase } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { sandboxForwardBackend } from "../../../../src/local/sandboxes/sandbox-forward-backend.js";
import type { SandboxManager } from "../../../../src/local/sandboxes/sandbox-manager.js";
import type { Capability } from "../../../../src/runtime/capabilities.js";

function backend(capabilities: Capability[], phase = SandboxPhase.READY) {
  const sandbox = {
    id: "id-1",
    name: "web",
    phase,
    forwards: 0,
    container: { addresses: [{ network: "net", ipv4: "10.0.0.7" }] },
  };
  const sandboxes = {
    byId: () => sandbox,
    shutdown: new AbortController().signal,
  } as unknown as SandboxManager;
  return sandboxForwardBackend(
    sandboxes,
    { kind: "podman", capabilities: new Set(capabilities) },
    "net",
    () => new URL("https://127.0.0.1:1"),
  );
}

function codeOf(run: () => unknown): { code: Code; message: string } {
  try {
    run();
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error("expected an error");
}

describe("sandboxForwardBackend", () => {
  it("dials the container's address on the gateway's network", () => {
    expect(backend(["container-address"]).address("id-1", 8080, "127.0.0.1")).toEqual({
      host: "10.0.0.7",
      port: 8080,
    });
  });

  it("says why forward cannot work when the runtime does not route to container addresses", () => {
    const failure = codeOf(() => backend([]).address("id-1", 8080, "127.0.0.1"));
    expect(failure.code).toBe(Code.FailedPrecondition);
    expect(failure.message).toMatch(/podman here does not route to it/);
    expect(failure.message).toMatch(/rootful engine/);
  });

  it("refuses a sandbox that is not ready", () => {
    const failure = codeOf(() =>
      backend(["container-address"], SandboxPhase.STOPPED).address("id-1", 80, "::1"),
    );
    expect(failure).toEqual({ code: Code.FailedPrecondition, message: "sandbox is not ready" });
  });
});
