import { GatewayConfigError } from "../../errors.js";

/** How a registered gateway authenticates clients, from `auth_mode` in its metadata.json. */
export type AuthMode = "mtls" | "plaintext" | "cloudflare_jwt" | "oidc" | "none";

const authModes: readonly AuthMode[] = ["mtls", "plaintext", "cloudflare_jwt", "oidc", "none"];

/** Missing means mTLS: gateways registered before `auth_mode` existed all used mTLS. */
export function parseAuthMode(value: string | null | undefined, file: string): AuthMode {
  if (value === undefined || value === null) return "mtls";
  const mode = authModes.find((m) => m === value);
  if (mode) return mode;
  throw new GatewayConfigError(
    `${file}: unknown auth_mode ${JSON.stringify(value)}; expected one of ${authModes.map((m) => `"${m}"`).join(", ")} ` +
      `(or no auth_mode for mTLS).`,
    { source: file },
  );
}
