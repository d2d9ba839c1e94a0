import type { LocalOptions } from "../../../src/index.js";
import { AppleContainerRuntime } from "../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import { emulatedAppleContainer } from "../../support/apple-container-emulator/index.js";
import type { LocalEngine } from "./local-engine.js";

/** macOS 26's Darwin release: the first where Apple `container` has host-only networks. */
const MACOS_26 = "25.0.0";

/**
 * Apple `container` as local mode meets it on a Mac, emulated: the real driver runs the CLI's argv
 * against an emulator that carries them out on this machine's Docker and answers in the JSON shapes
 * of `version`. Host-only networks reach this host but nothing guards it there, so local mode runs
 * only with `hostIsolation: "best-effort"` (under the default it refuses: a test says so).
 */
export function appleContainerEngine(version: "1.1.0" | "0.12.3"): LocalEngine {
  let emulator: Awaited<ReturnType<typeof emulatedAppleContainer>> | undefined;
  let gatewayRuntime: AppleContainerRuntime | undefined;
  const connect = () => {
    if (emulator === undefined) throw new Error("the Apple container emulator is not open");
    return AppleContainerRuntime.connect({
      runner: emulator.runner,
      darwinRelease: MACOS_26,
      pollIntervalMs: 250,
    });
  };
  return {
    kind: "apple-container",
    name: `apple-container ${version} (emulated over Docker)`,
    exitCodes: false,
    async open() {
      emulator = await emulatedAppleContainer({ version });
      gatewayRuntime = await connect();
    },
    local(): LocalOptions {
      if (gatewayRuntime === undefined) throw new Error("the Apple container emulator is not open");
      return { runtime: gatewayRuntime, hostIsolation: "best-effort" };
    },
    connect,
    absent: () => ({
      // Named, but there is no `container` CLI on this Linux machine.
      options: { runtime: "apple-container" },
      says: ["No Apple container runtime answered", "Apple container runs only on macOS"],
    }),
    async close() {
      await gatewayRuntime?.close();
      await emulator?.close();
    },
  };
}
