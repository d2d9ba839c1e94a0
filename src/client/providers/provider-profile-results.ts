import type { ProviderProfileDiagnostic as DiagnosticMessage } from "../../gen/openshell/v1/provider_profiles_pb.js";
import type { ProviderProfileInfo } from "./provider-profile-info.js";

/**
 * One problem the gateway found in a profile you imported, updated or linted. Problems are data,
 * not errors: an `error` diagnostic means nothing was stored; a `warning` does not stop the call.
 */
export interface ProviderProfileDiagnosticInfo {
  /** The `origin` you gave the profile (a file path, say), or `""`. */
  origin: string;
  /** The id of the profile it is about, or `""` when it is about the request as a whole. */
  profileId: string;
  /** The profile field at fault, as the gateway names it (`id`, `credentials[0].name`, ...). */
  field: string;
  message: string;
  /** `"error"` or `"warning"` (a newer gateway may add others). */
  severity: string;
}

/** Result of {@link ProviderProfileService.import}. */
export interface ImportProviderProfilesResult {
  /** Whether the profiles were stored: all of them, or none when any has an `error` diagnostic. */
  imported: boolean;
  /** The profiles as stored (with their resource versions); empty when nothing was imported. */
  profiles: ProviderProfileInfo[];
  diagnostics: ProviderProfileDiagnosticInfo[];
}

/** Result of {@link ProviderProfileService.update}. */
export interface UpdateProviderProfileResult {
  /** Whether the profile was replaced; `false` when a diagnostic is an `error`. */
  updated: boolean;
  /** The profile as stored, with its new resource version; undefined when not updated. */
  profile?: ProviderProfileInfo;
  diagnostics: ProviderProfileDiagnosticInfo[];
}

/** Result of {@link ProviderProfileService.lint}. */
export interface LintProviderProfilesResult {
  /** Whether an import of these profiles would succeed now: no `error` diagnostic. */
  valid: boolean;
  diagnostics: ProviderProfileDiagnosticInfo[];
}

/** Curates the gateway's diagnostics. */
export function toDiagnostics(messages: DiagnosticMessage[]): ProviderProfileDiagnosticInfo[] {
  return messages.map((d) => ({
    origin: d.source,
    profileId: d.profileId,
    field: d.field,
    message: d.message,
    severity: d.severity,
  }));
}

/** The diagnostics as lines, errors first, for a message or a log: `origin: id.field: message (severity)`. */
export function formatProfileDiagnostics(diagnostics: readonly ProviderProfileDiagnosticInfo[]): string {
  const rank = (d: ProviderProfileDiagnosticInfo) => (d.severity === "error" ? 0 : 1);
  return [...diagnostics]
    .sort((a, b) => rank(a) - rank(b))
    .map((d) => {
      const where = [d.profileId, d.field].filter(Boolean).join(".");
      const prefix = [d.origin, where].filter(Boolean).join(": ");
      return `${prefix ? `${prefix}: ` : ""}${d.message} (${d.severity})`;
    })
    .join("\n");
}
