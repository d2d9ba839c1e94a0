export type { CommandRunner, RunOptions, RunResult, SpawnedCommand } from "../../process/command-runner.js";
export { NodeCommandRunner } from "../../process/node-command-runner.js";
export {
  APPLE_CONTAINER_CAPABILITIES,
  AppleContainerRuntime,
  type AppleContainerRuntimeOptions,
} from "./apple-container-runtime.js";
export {
  type AppleHost,
  appleContainerCapabilities,
  MIN_CLI_VERSION,
  macOSFromDarwin,
} from "./cli-version.js";
