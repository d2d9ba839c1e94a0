export type { EngineTlsOptions } from "../engine-tls.js";
export { tlsOptionsFor } from "../engine-tls.js";
export type { CommandRunner, RunOptions, RunResult } from "../process/command-runner.js";
export { NodeCommandRunner } from "../process/node-command-runner.js";
export type { AppleProbeOptions, AppleProbeResult } from "./apple-container-probe.js";
export { probeAppleContainer } from "./apple-container-probe.js";
export type {
  DetectedAppleContainer,
  DetectedEngine,
  DetectedRuntime,
  DetectRuntimeOptions,
} from "./detect-runtime.js";
export { detectRuntime } from "./detect-runtime.js";
export type { DetectionContext, Env } from "./detection-context.js";
export { detectionContext } from "./detection-context.js";
export type { EngineKind } from "./engine-candidate.js";
export type { EnginePing, PingFunction, PingOptions } from "./engine-ping.js";
export { DEFAULT_PING_TIMEOUT_MS, pingEngine } from "./engine-ping.js";
export type { RuntimeChoice, RuntimeSelection } from "./runtime-selection.js";
export { chooseRuntime, parseRuntimeKind } from "./runtime-selection.js";
