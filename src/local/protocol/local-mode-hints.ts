/**
 * What a caller should use instead of a gateway call local mode does not serve, by method path
 * (`<service>/<method>`). Local mode is one user's embedded gateway over a container engine: it has
 * no identity provider, no workspace administration, no supervisor inside sandboxes and no policy
 * advisor, so those calls have no meaning here rather than a partial one.
 */

const GATEWAY = "an OpenShell gateway (OpenShell.connect())";

const TEMPLATES = `workload templates need ${GATEWAY}; in local mode give sandboxes.create() the image, env and resources directly`;
const SERVICES = `published service endpoints need ${GATEWAY}; in local mode reach a sandbox port with sb.forward({ port })`;
const WORKSPACES = `local mode has no workspace administration (a workspace exists as soon as a call names it, and there are no members or roles); manage workspaces on ${GATEWAY}`;
const IDENTITY = `local mode has no identity provider: the caller is the user who started it; OIDC or mTLS identities need ${GATEWAY}`;
const PROFILES = `local mode knows the built-in provider types only; create providers with os.providers.create({ type }) and manage provider profiles on ${GATEWAY}`;
const REFRESH = `local mode does not refresh credentials; replace them with os.providers.update(), or use credential refresh on ${GATEWAY}`;
const SETTINGS = `local mode has no gateway-wide settings (no global scope); a sandbox's effective policy and settings come from GetSandboxConfig`;
const ADVISOR = `local mode has no policy advisor (nothing proposes draft rules); change a sandbox's network policy with os.policy.update(), or review drafts on ${GATEWAY}`;
const SUPERVISOR = `this call is made by the supervisor inside a sandbox, and local-mode sandboxes run none (the local gateway watches their containers itself); supervisors run on ${GATEWAY}`;

const OPENSHELL = "openshell.v1.OpenShell";

const HINTS: Readonly<Record<string, string>> = {
  ...each(OPENSHELL, TEMPLATES, [
    "CreateSandboxTemplate",
    "GetSandboxTemplate",
    "ListSandboxTemplates",
    "DeleteSandboxTemplate",
  ]),
  ...each(OPENSHELL, SERVICES, ["ExposeService", "GetService", "ListServices", "DeleteService"]),
  ...each(OPENSHELL, IDENTITY, ["GetCurrentUser"]),
  ...each(OPENSHELL, WORKSPACES, [
    "CreateWorkspace",
    "GetWorkspace",
    "ListWorkspaces",
    "DeleteWorkspace",
    "AddWorkspaceMember",
    "RemoveWorkspaceMember",
    "ListWorkspaceMembers",
  ]),
  ...each(OPENSHELL, PROFILES, [
    "ListProviderProfiles",
    "GetProviderProfile",
    "ImportProviderProfiles",
    "UpdateProviderProfiles",
    "LintProviderProfiles",
    "DeleteProviderProfile",
  ]),
  ...each(OPENSHELL, REFRESH, [
    "GetProviderRefreshStatus",
    "ConfigureProviderRefresh",
    "RotateProviderCredential",
    "DeleteProviderRefresh",
  ]),
  ...each(OPENSHELL, SETTINGS, ["GetGatewayConfig"]),
  ...each(OPENSHELL, ADVISOR, [
    "GetDraftPolicy",
    "ApproveDraftChunk",
    "RejectDraftChunk",
    "ApproveAllDraftChunks",
    "EditDraftChunk",
    "UndoDraftChunk",
    "ClearDraftChunks",
    "GetDraftHistory",
  ]),
  ...each(OPENSHELL, SUPERVISOR, [
    "ConnectSupervisor",
    "RelayStream",
    "PushSandboxLogs",
    "ReportMainProcessExit",
    "ReportPolicyStatus",
    "GetSandboxProviderEnvironment",
    "SubmitPolicyAnalysis",
    "IssueSandboxToken",
    "RefreshSandboxToken",
  ]),
  ...each("openshell.inference.v1.Inference", SUPERVISOR, ["GetInferenceBundle"]),
};

function each(service: string, hint: string, methods: readonly string[]): Record<string, string> {
  return Object.fromEntries(methods.map((method) => [`${service}/${method}`, hint]));
}

/**
 * The status message local mode answers a call it does not serve with: the method's path (so gRPC
 * tools and logs name it), that local mode lacks it, and what to use instead. A method without its
 * own hint (one a newer contract adds) still names itself and points at a real gateway.
 */
export function localModeUnservedMessage(path: string): string {
  const hint = HINTS[path] ?? `use ${GATEWAY} for it`;
  return `${path} is not available in local mode (OpenShell.local()): ${hint}`;
}

/**
 * The status message for a sandbox created from a stored workload template by name: local mode has no
 * templates, and creating the sandbox without one would silently run something else.
 */
export function localModeWorkloadTemplateMessage(templateName: string): string {
  return `workload_template_name ${JSON.stringify(templateName)}: creating a sandbox from a workload template is not available in local mode (OpenShell.local()): ${TEMPLATES}`;
}

/** Whether a method has a hint of its own (for tests that every unserved method is covered). */
export function hasLocalModeHint(path: string): boolean {
  return Object.hasOwn(HINTS, path);
}
