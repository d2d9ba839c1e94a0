import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { envKeySchema, objectNameSchema, workspaceSchema } from "../validation/common-schemas.js";
import { type CredentialRefreshStatus, strategyValue, toRefreshStatus } from "./provider-profile-info.js";
import { type ConfigureRefreshInput, configureRefreshSchema } from "./provider-profile-options.js";
import { redactCredentials } from "./redact-credentials.js";

/**
 * `os.providers.refresh`: keeps a provider's short-lived credentials fresh. The gateway stores the
 * material it mints with (a refresh token, a service-account key, ...) and a worker replaces the
 * credential before it expires; sandboxes keep using the provider unchanged.
 *
 * Material is write-only like credentials: results carry only the refresh state, and no error
 * quotes a material value.
 *
 * ```ts
 * await os.providers.refresh.configure({
 *   provider: "github", credentialKey: "GITHUB_TOKEN", strategy: "oauth2-refresh-token",
 *   material: { refresh_token: rt, client_id: id }, secretMaterialKeys: ["refresh_token"],
 * });
 * await os.providers.refresh.rotate("github", "GITHUB_TOKEN"); // mint one now
 * ```
 */
export class CredentialRefreshService {
  /** @internal */
  constructor(private readonly calls: GatewayCalls) {}

  /**
   * The refresh state of the provider's credentials: of `credentialKey` only when given, else of
   * every credential key that has a refresh configured.
   * @throws NotFoundError when there is no such provider.
   */
  async status(
    provider: string,
    credentialKey?: string,
    options?: WorkspaceOptions & RequestOptions,
  ): Promise<CredentialRefreshStatus[]> {
    const req = this.key(provider, credentialKey ?? "", options);
    const res = await this.calls.unary(`get the refresh status of provider "${req.provider}"`, options, (o) =>
      this.calls.openshell.getProviderRefreshStatus(req, o),
    );
    return res.credentials.map((s) => toRefreshStatus(s, "GetProviderRefreshStatus"));
  }

  /**
   * Stores how to refresh one credential, without minting one yet (see {@link rotate}).
   * Configuring a key again replaces its configuration.
   * @throws NotFoundError when there is no such provider.
   * @throws InvalidArgumentError for a bad input (its `field` names it) or material the gateway rejects.
   */
  async configure(input: ConfigureRefreshInput, options?: RequestOptions): Promise<CredentialRefreshStatus> {
    const c = validate(configureRefreshSchema, input, "refresh configuration");
    const secrets = Object.values(c.material);
    try {
      const res = await this.calls.unary(
        `configure refresh of ${c.credentialKey} of provider "${c.provider}"`,
        options,
        (o) =>
          this.calls.openshell.configureProviderRefresh(
            {
              provider: c.provider,
              credentialKey: c.credentialKey,
              strategy: strategyValue(c.strategy),
              material: c.material,
              secretMaterialKeys: c.secretMaterialKeys ?? [],
              ...(c.expiresAt ? { expiresAtMs: BigInt(c.expiresAt.getTime()) } : {}),
              workspace: this.calls.ws(c),
            },
            o,
          ),
      );
      return toRefreshStatus(res.status, "ConfigureProviderRefresh");
    } catch (err) {
      throw redactCredentials(err, secrets);
    }
  }

  /**
   * Mints a new value of the credential now, with its configured refresh.
   * @throws NotFoundError when there is no such provider.
   * @throws FailedPreconditionError when the key has no refresh configured.
   */
  async rotate(
    provider: string,
    credentialKey: string,
    options?: WorkspaceOptions & RequestOptions,
  ): Promise<CredentialRefreshStatus> {
    const req = this.key(provider, credentialKey, options, true);
    const res = await this.calls.unary(
      `rotate ${req.credentialKey} of provider "${req.provider}"`,
      options,
      (o) => this.calls.openshell.rotateProviderCredential(req, o),
    );
    return toRefreshStatus(res.status, "RotateProviderCredential");
  }

  /** Removes the refresh of one credential (the credential stays). Resolves `false` when none was set. */
  async delete(
    provider: string,
    credentialKey: string,
    options?: WorkspaceOptions & RequestOptions,
  ): Promise<boolean> {
    const req = this.key(provider, credentialKey, options, true);
    const res = await this.calls.unary(
      `delete the refresh of ${req.credentialKey} of provider "${req.provider}"`,
      options,
      (o) => this.calls.openshell.deleteProviderRefresh(req, o),
    );
    return res.deleted;
  }

  private key(provider: string, credentialKey: string, options?: WorkspaceOptions, required = false) {
    return {
      provider: validate(objectNameSchema, provider, "provider name", { field: "provider" }),
      credentialKey:
        credentialKey === "" && !required
          ? ""
          : validate(envKeySchema, credentialKey, "credential key", { field: "credentialKey" }),
      workspace: this.calls.ws({ workspace: validate(workspaceSchema, options?.workspace, "workspace") }),
    };
  }
}
