/**
 * `openshell/runtime`: one `ContainerRuntime` contract over Docker, Podman and Apple `container`,
 * with detection, capability checks and crash-proof cleanup.
 *
 * ```ts
 * import { createRuntime, runExec } from "openshell/runtime";
 * const runtime = await createRuntime({ reapOnExit: true });
 * ```
 *
 * @packageDocumentation
 */

// Every error class, the same ones `openshell` exports: a program (or an adapter) that uses only the
// runtime layer can tell errors apart without loading the gateway client and its protobuf code.
export * from "../errors.js";
export type {
  ArchivePathStat,
  ArchiveStream,
  ArchiveView,
  GetArchiveOptions,
  PutArchiveOptions,
} from "./archive-types.js";
export type { Capability } from "./capabilities.js";
export {
  CAPABILITIES,
  capabilitiesForLogs,
  capabilitiesForNetwork,
  capabilitiesForSpec,
} from "./capabilities.js";
export type {
  ContainerAddress,
  ContainerInfo,
  ContainerState,
  ContainerSummary,
  PublishedPort,
} from "./container-info.js";
export type {
  ContainerRuntime,
  KillOptions,
  ListOptions,
  ReapOptions,
  ReapResult,
  RemoveOptions,
  StopOptions,
} from "./container-runtime.js";
export type { ContainerSpec, MountSpec, PortSpec, ResourceLimits } from "./container-spec.js";
export type { CreateRuntimeOptions } from "./create-runtime.js";
export { createRuntime } from "./create-runtime.js";
export type {
  DetectedAppleContainer,
  DetectedCommon,
  DetectedEngine,
  DetectedRuntime,
  DetectRuntimeOptions,
} from "./detection/detect-runtime.js";
export type { DetectionContext, Env } from "./detection/detection-context.js";
export type { EngineKind } from "./detection/engine-candidate.js";
export type { EnginePing, PingFunction, PingOptions } from "./detection/engine-ping.js";
export { detectRuntime, parseRuntimeKind } from "./detection/index.js";
export type { RuntimeSelection } from "./detection/runtime-selection.js";
export type { AppleContainerRuntimeOptions } from "./drivers/apple-container/apple-container-runtime.js";
export { AppleContainerRuntime } from "./drivers/apple-container/apple-container-runtime.js";
export type { PickHostPort } from "./drivers/apple-container/cli-args.js";
export type { DockerRuntimeOptions } from "./drivers/docker/docker-runtime.js";
export { DockerRuntime } from "./drivers/docker/docker-runtime.js";
export type { EngineRuntime } from "./drivers/engine/engine-runtime.js";
export type { PodmanRuntimeOptions } from "./drivers/podman/podman-runtime.js";
export { PodmanRuntime } from "./drivers/podman/podman-runtime.js";
export type { EngineEndpointInput } from "./endpoint-option.js";
export type { EngineEndpoint, EngineTls } from "./engine-endpoint.js";
export type { ContainerEvent, WatchOptions } from "./event-types.js";
export type { ExecExit, ExecProcess, ExecResult, ExecSpec, OutputChunk, TerminalSize } from "./exec-types.js";
export type { ImageReference } from "./image-reference.js";
export { parseImageReference } from "./image-reference.js";
export type {
  BuildOptions,
  ImageInfo,
  ImageOperationOptions,
  LoadOptions,
  ProgressEvent,
  PullOptions,
  SaveOptions,
} from "./image-types.js";
export { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SESSION_LABEL } from "./labels.js";
export type { LogLine, LogOptions } from "./log-types.js";
export type { NetworkInfo, NetworkSpec, VolumeInfo, VolumeSpec } from "./network-types.js";
export type { CommandRunner, RunOptions, RunResult, SpawnedCommand } from "./process/command-runner.js";
export type { RunExecSpec } from "./run-exec.js";
export { runExec } from "./run-exec.js";
export type { CallOptions, RuntimeInfo, RuntimeKind } from "./runtime-info.js";
export { RUNTIME_KINDS } from "./runtime-info.js";
export { waitForStop } from "./wait-for-stop.js";
