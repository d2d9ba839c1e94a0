export {
  APPLE_CONTAINER_CAPABILITIES,
  AppleContainerRuntime,
  type AppleContainerRuntimeOptions,
} from "./apple-container-runtime.js";
export type { CommandRunner, RunOptions, RunResult, SpawnedCommand } from "./command-runner.js";
export { NodeCommandRunner } from "./node-command-runner.js";
