import type { LocalOptions } from "../../../src/index.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { dockerTestEndpoint, podmanTestEndpoint } from "../../support/test-engines.js";
import type { LocalKind } from "./local-gateway-support.js";

/**
 * An engine the local-mode suites run on: Docker or Podman for real, or Apple `container`'s CLI
 * emulated over Docker (apple-container-engine.ts), so one suite says what local mode does on each.
 */
export interface LocalEngine {
  /** The runtime kind, as the gateway reports its compute driver. */
  kind: LocalKind | "apple-container";
  /** Shown in test names. */
  name: string;
  /** Whether the runtime reports a stopped container's exit code (Apple `container` does not). */
  exitCodes: boolean;
  /** Makes what the engine needs before the suite's first test (the emulator). */
  open(): Promise<void>;
  /** Options for `OpenShell.local()` that reach this engine; after `open()`. */
  local(): LocalOptions;
  /** A driver of the test's own, to look behind the gateway; after `open()`. */
  connect(): Promise<ContainerRuntime>;
  /** Options naming this engine where it is not running, and what the refusal then says. */
  absent(): { options: LocalOptions; says: string[] };
  /** Removes what `open()` made. */
  close(): Promise<void>;
}

/** Docker or Podman, the engines scripts/engines.sh runs on this machine. */
export function realEngine(kind: LocalKind): LocalEngine {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  return {
    kind,
    name: kind,
    exitCodes: true,
    open: async () => undefined,
    local: () => ({ runtime: kind, runtimeOptions: { endpoint } }),
    connect: () => createRuntime({ runtime: kind, endpoint }),
    absent: () => ({
      options: {
        runtime: kind,
        runtimeOptions: { endpoint: { kind: "unix", socketPath: "/nonexistent.sock" } },
      },
      // The endpoint given is the engine to use: it does not answer, so local mode does not start.
      says: [
        "that the endpoint option names is unavailable: unix:///nonexistent.sock: no socket at /nonexistent.sock [ENOENT]",
        "start the engine at unix:///nonexistent.sock",
      ],
    }),
    close: async () => undefined,
  };
}

/** The engine a suite was given: a kind names the real engine. */
export function localEngine(engine: LocalKind | LocalEngine): LocalEngine {
  return typeof engine === "string" ? realEngine(engine) : engine;
}
