import { afterAll, beforeAll, describe } from "vitest";
import { AppleContainerRuntime } from "../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import {
  type EmulatedAppleContainer,
  type EmulatedVersion,
  emulatedAppleContainer,
} from "../../support/apple-container-emulator/index.js";
import { testImages } from "../../support/test-engines.js";
import { describeArchiveConformance } from "./archive-conformance.suite.js";
import { describeRuntimeConformance } from "./conformance.suite.js";

/*
 * The Apple container driver for real, on this machine's Docker engine: its `container` CLI is the
 * emulator (test/support/apple-container-emulator), which answers as each CLI release does. macOS 26
 * (Darwin 25), so internal networks are offered from 0.9.0 on.
 */
for (const version of ["1.1.0", "0.12.3"] as EmulatedVersion[]) {
  describe(`apple-container ${version} (emulated over Docker)`, () => {
    let emulator: EmulatedAppleContainer;
    beforeAll(async () => {
      emulator = await emulatedAppleContainer({ version });
    });
    afterAll(async () => {
      await emulator?.close();
    });
    describeRuntimeConformance({
      name: "apple-container",
      connect: () =>
        AppleContainerRuntime.connect({
          runner: emulator.runner,
          darwinRelease: "25.0.0",
          pollIntervalMs: 200,
        }),
      busyboxImage: testImages.busybox,
    });
    describeArchiveConformance({
      name: "apple-container",
      connect: () => AppleContainerRuntime.connect({ runner: emulator.runner, darwinRelease: "25.0.0" }),
      busyboxImage: testImages.busybox,
    });
  });
}
