import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { AppleContainerRuntime } from "../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import type { RuntimeTarget } from "./support/runtime-target.js";

/** The conformance suite's target, plus whether the runtime can run on this machine at all. */
export interface AppleContainerTarget extends RuntimeTarget {
  /** False off macOS or without the `container` CLI: register no tests then (not even skipped ones). */
  available: boolean;
  /** The same as `connect`. */
  create: () => Promise<ContainerRuntime>;
}

/** No test image is built locally for Apple container: this one is pulled on first use. */
const DEFAULT_BUSYBOX_IMAGE = "docker.io/library/busybox:1.36";

/** Whether `command` is an executable file in one of PATH's folders. */
function onPath(command: string, path = process.env.PATH ?? ""): boolean {
  return path
    .split(delimiter)
    .filter((folder) => folder !== "")
    .some((folder) => {
      try {
        accessSync(join(folder, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/**
 * Apple `container` runs only on macOS (26, Apple silicon): available when this is macOS and the
 * `container` CLI is on PATH. Connecting fails, saying to run `container system start`, when the
 * system service is not running. The busybox image is `OPENSHELL_TEST_BUSYBOX_IMAGE` when set.
 */
export function appleContainerTarget(): AppleContainerTarget {
  const connect = () => AppleContainerRuntime.connect();
  return {
    name: "apple-container",
    available: process.platform === "darwin" && onPath("container"),
    connect,
    create: connect,
    busyboxImage: process.env.OPENSHELL_TEST_BUSYBOX_IMAGE ?? DEFAULT_BUSYBOX_IMAGE,
  };
}
