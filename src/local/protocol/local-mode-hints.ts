/**
 * What a caller should use instead of a gateway call local mode does not serve, by method path
 * (`<service>/<method>`). Local mode is one user's embedded gateway over a container engine: it has
 * no identity provider (so no workspace members to manage) and no supervisor inside sandboxes, so
 * those calls have no meaning here rather than a partial one.
 */

const GATEWAY = "an OpenShell gateway (OpenShell.connect())";

const MEMBERS = `local mode has one user, the one who started it, who is admin of every workspace (os.workspaces.listMembers() shows them); it authenticates no one else, so a member added here could never act: manage members on ${GATEWAY} with OIDC or mTLS identities`;
const PROFILES = `local mode knows the built-in provider types only; create providers with os.providers.create({ type }) and manage provider profiles on ${GATEWAY}`;
const REFRESH = `local mode does not refresh credentials; replace them with os.providers.update(), or use credential refresh on ${GATEWAY}`;
const SETTINGS = `local mode has no gateway-wide settings (no global scope); a sandbox's effective policy and settings come from GetSandboxConfig`;
const SUPERVISOR = `this call is made by the supervisor inside a sandbox, and local-mode sandboxes run none (the local gateway watches their containers itself); supervisors run on ${GATEWAY}`;

const OPENSHELL = "openshell.v1.OpenShell";

const HINTS: Readonly<Record<string, string>> = {
  ...each(OPENSHELL, MEMBERS, ["AddWorkspaceMember", "RemoveWorkspaceMember"]),
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

/** Whether a method has a hint of its own (for tests that every unserved method is covered). */
export function hasLocalModeHint(path: string): boolean {
  return Object.hasOwn(HINTS, path);
}
