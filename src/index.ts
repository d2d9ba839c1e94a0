/**
 * `openshell`: the TypeScript SDK for OpenShell, the sandbox runtime for AI agents.
 *
 * ```ts
 * import { OpenShell } from "openshell";
 * await using os = await OpenShell.connect();
 * ```
 *
 * @packageDocumentation
 */

export type { ExecEvent } from "./client/exec/exec-events.js";
export type { InteractiveExec } from "./client/exec/exec-interactive.js";
export type { ExecOptions, ExecRunOptions } from "./client/exec/exec-options.js";
export type { ExecResult } from "./client/exec/exec-stream.js";
export type { FileEntry, FileType } from "./client/files/file-entry.js";
export { MissingToolError } from "./client/files/files-errors.js";
export type {
  MkdirOptions,
  RemoveOptions,
  UploadOptions,
  VerifyOption,
  WriteOptions,
} from "./client/files/files-options.js";
export type { FileCallOptions, TransferOptions, TransferProgress } from "./client/files/files-target.js";
export type { SandboxFiles } from "./client/files/sandbox-files.js";
export type { WriteResult } from "./client/files/send-file.js";
export type { TransferResult } from "./client/files/transfer-tree.js";
export type { WriteData } from "./client/files/write-source.js";
export * from "./client/inference/index.js";
export type { GatewayHealth, GatewayInfo, OpenShellOptions } from "./client/open-shell.js";
export { OpenShell } from "./client/open-shell.js";
export * from "./client/policy/index.js";
export * from "./client/policy-advisor/index.js";
export * from "./client/providers/index.js";
export type { RawClients } from "./client/raw-clients.js";
export type { RequestOptions, StreamRequestOptions, WorkspaceOptions } from "./client/request-options.js";
export type { CreateSandboxOptions, ResourceQuantities } from "./client/sandboxes/create-sandbox-options.js";
export type { ForwardOptions, PortForward } from "./client/sandboxes/port-forward.js";
export type { Sandbox } from "./client/sandboxes/sandbox.js";
export type {
  LogLevel,
  LogSource,
  PlatformEventInfo,
  SandboxEvent,
  SandboxLogLine,
} from "./client/sandboxes/sandbox-events.js";
export type { SandboxConditionInfo, SandboxInfo, SandboxPhase } from "./client/sandboxes/sandbox-info.js";
export type { FollowLogsOptions, LogFilter, ReadLogsOptions } from "./client/sandboxes/sandbox-logs.js";
export type { ResultWaitOptions, SandboxResult } from "./client/sandboxes/sandbox-result.js";
export type {
  ListSandboxesOptions,
  SandboxService,
  WatchSandboxOptions,
} from "./client/sandboxes/sandbox-service.js";
export type { WaitOptions } from "./client/sandboxes/wait-for-phase.js";
export * from "./client/services/index.js";
export * from "./client/templates/index.js";
export * from "./client/workspaces/index.js";
export type { ConnectOptions, TlsOptions } from "./connect/connect-options.js";
export type { RetryOptions } from "./connect/retry-interceptor.js";
export type { StreamTimeouts } from "./connect/stream-timeouts.js";
export * from "./errors.js";
export type { CertificateAndKey } from "./local/listen/certificate-issuer.js";
export type { GatewayCertificates } from "./local/listen/gateway-certificates.js";
// Local mode: types only, so that `import "openshell"` never loads the runtime drivers or SQLite;
// OpenShell.local() loads them when it is called.
export type { LocalOptions } from "./local/local-client.js";
export type {
  ListenOptions,
  LocalGateway,
  LocalGatewayOptions,
  LocalListener,
} from "./local/local-gateway.js";
export type { HostIsolation } from "./local/network/egress-isolation.js";
export type { Reconciliation } from "./local/sandboxes/sandbox-manager.js";
