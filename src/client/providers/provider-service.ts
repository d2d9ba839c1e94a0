import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { objectNameSchema, sandboxNameSchema, workspaceSchema } from "../validation/common-schemas.js";
import { CredentialRefreshService } from "./credential-refresh-service.js";
import { type ProviderInfo, toProviderInfo } from "./provider-info.js";
import {
  type CreateProviderInput,
  createProviderSchema,
  expectedVersionSchema,
  type ListProvidersOptions,
  listProvidersSchema,
  type SandboxProviderOptions,
  type UpdateProviderInput,
  updateProviderSchema,
} from "./provider-options.js";
import { ProviderProfileService } from "./provider-profile-service.js";
import { redactCredentials } from "./redact-credentials.js";

/**
 * `os.providers`: named credential sets (an OpenAI key, a GitHub token, ...) that sandboxes and
 * inference routes use without the secret ever entering a sandbox.
 *
 * Credentials are write-only. Results carry only their keys ({@link ProviderInfo.credentialKeys}),
 * and no error the service throws quotes a credential value.
 *
 * ```ts
 * await os.providers.create({ name: "openai", type: "openai", credentials: { OPENAI_API_KEY: key } });
 * await os.providers.attach("my-sandbox", "openai");
 * ```
 */
export class ProviderService {
  /** The provider types the gateway knows (SEMANTICS §14). */
  readonly profiles: ProviderProfileService;
  /** Per-credential refresh and rotation of short-lived credentials (SEMANTICS §14). */
  readonly refresh: CredentialRefreshService;

  /** @internal */
  constructor(private readonly calls: GatewayCalls) {
    this.profiles = new ProviderProfileService(calls);
    this.refresh = new CredentialRefreshService(calls);
  }

  /**
   * Creates a provider.
   * @throws AlreadyExistsError when a provider of that name exists in the workspace.
   * @throws InvalidArgumentError for a bad input (its `field` names it) or a type the gateway rejects.
   */
  async create(input: CreateProviderInput, options?: RequestOptions): Promise<ProviderInfo> {
    const p = validate(createProviderSchema, input, "provider");
    const workspace = this.calls.ws(p);
    const secrets = Object.values(p.credentials ?? {});
    try {
      const res = await this.calls.unary(`create provider "${p.name}"`, options, (o) =>
        this.calls.openshell.createProvider(
          {
            provider: {
              metadata: { name: p.name, workspace },
              type: p.type,
              credentials: p.credentials ?? {},
              config: p.config ?? {},
            },
            workspace,
          },
          o,
        ),
      );
      return toProviderInfo(res.provider, "CreateProvider");
    } catch (err) {
      throw redactCredentials(err, secrets);
    }
  }

  /** The provider named `name`. @throws NotFoundError */
  async get(name: string, options?: WorkspaceOptions & RequestOptions): Promise<ProviderInfo> {
    const providerName = validate(objectNameSchema, name, "provider name");
    const workspace = this.workspaceOf(options);
    const res = await this.calls.unary(`get provider "${providerName}"`, options, (o) =>
      this.calls.openshell.getProvider({ name: providerName, workspace }, o),
    );
    return toProviderInfo(res.provider, "GetProvider");
  }

  /** One page of providers of the workspace (or of every workspace with `allWorkspaces`). */
  async list(options: ListProvidersOptions = {}): Promise<ProviderInfo[]> {
    const o = validate(listProvidersSchema, options, "list options");
    const res = await this.calls.unary("list providers", options, (co) =>
      this.calls.openshell.listProviders(
        {
          limit: o.limit ?? 0,
          offset: o.offset ?? 0,
          workspace: o.allWorkspaces ? "" : this.calls.ws(o),
          allWorkspaces: o.allWorkspaces ?? false,
        },
        co,
      ),
    );
    return res.providers.map((p) => toProviderInfo(p, "ListProviders"));
  }

  /**
   * Changes a provider's credentials and config. Both maps **merge** into what the provider has:
   * a key given with a value sets it, a key given with the empty string `""` deletes it, and keys
   * you do not mention stay unchanged. The type cannot change.
   *
   * ```ts
   * await os.providers.update("openai", { credentials: { OPENAI_API_KEY: newKey }, config: { OPENAI_BASE_URL: "" } });
   * ```
   * @throws NotFoundError when there is no such provider.
   * @throws ConflictError when `expectedResourceVersion` is given and the provider changed since.
   */
  async update(name: string, changes: UpdateProviderInput, options?: RequestOptions): Promise<ProviderInfo> {
    const providerName = validate(objectNameSchema, name, "provider name");
    const c = validate(updateProviderSchema, changes, "provider update");
    const workspace = this.calls.ws(c);
    const secrets = Object.values(c.credentials ?? {});
    try {
      const res = await this.calls.unary(`update provider "${providerName}"`, options, (o) =>
        this.calls.openshell.updateProvider(
          {
            provider: {
              // resource_version 0 means "no check" to the gateway.
              metadata: { name: providerName, workspace, resourceVersion: c.expectedResourceVersion ?? 0n },
              credentials: c.credentials ?? {},
              config: c.config ?? {},
            },
            workspace,
          },
          o,
        ),
      );
      return toProviderInfo(res.provider, "UpdateProvider");
    } catch (err) {
      throw redactCredentials(err, secrets);
    }
  }

  /**
   * Deletes a provider. Resolves `false` when it did not exist.
   * @throws FailedPreconditionError while a sandbox still has it attached; detach it first.
   */
  async delete(name: string, options?: WorkspaceOptions & RequestOptions): Promise<boolean> {
    const providerName = validate(objectNameSchema, name, "provider name");
    const workspace = this.workspaceOf(options);
    const res = await this.calls.unary(`delete provider "${providerName}"`, options, (o) =>
      this.calls.openshell.deleteProvider({ name: providerName, workspace }, o),
    );
    return res.deleted;
  }

  /**
   * Attaches a provider to a sandbox, so its credentials are available to the sandbox through the
   * gateway. Resolves the gateway's `attached` flag.
   * @throws NotFoundError when the sandbox or the provider does not exist.
   */
  async attach(
    sandboxName: string,
    providerName: string,
    options?: SandboxProviderOptions,
  ): Promise<boolean> {
    const req = this.sandboxProviderRequest(sandboxName, providerName, options);
    const res = await this.calls.unary(
      `attach provider "${req.providerName}" to sandbox "${req.sandboxName}"`,
      options,
      (o) => this.calls.openshell.attachSandboxProvider(req, o),
    );
    return res.attached;
  }

  /**
   * Detaches a provider from a sandbox. Resolves the gateway's `detached` flag.
   * @throws NotFoundError when the sandbox or the provider does not exist.
   */
  async detach(
    sandboxName: string,
    providerName: string,
    options?: SandboxProviderOptions,
  ): Promise<boolean> {
    const req = this.sandboxProviderRequest(sandboxName, providerName, options);
    const res = await this.calls.unary(
      `detach provider "${req.providerName}" from sandbox "${req.sandboxName}"`,
      options,
      (o) => this.calls.openshell.detachSandboxProvider(req, o),
    );
    return res.detached;
  }

  /** The providers attached to a sandbox. @throws NotFoundError when there is no such sandbox. */
  async listForSandbox(
    sandboxName: string,
    options?: WorkspaceOptions & RequestOptions,
  ): Promise<ProviderInfo[]> {
    const name = validate(sandboxNameSchema, sandboxName, "sandbox name");
    const workspace = this.workspaceOf(options);
    const res = await this.calls.unary(`list providers of sandbox "${name}"`, options, (o) =>
      this.calls.openshell.listSandboxProviders({ sandboxName: name, workspace }, o),
    );
    return res.providers.map((p) => toProviderInfo(p, "ListSandboxProviders"));
  }

  private sandboxProviderRequest(
    sandboxName: string,
    providerName: string,
    options?: SandboxProviderOptions,
  ) {
    return {
      sandboxName: validate(sandboxNameSchema, sandboxName, "sandbox name"),
      providerName: validate(objectNameSchema, providerName, "provider name"),
      expectedResourceVersion:
        validate(expectedVersionSchema, options?.expectedResourceVersion, "expectedResourceVersion") ?? 0n,
      workspace: this.workspaceOf(options),
    };
  }

  private workspaceOf(options?: WorkspaceOptions): string {
    return this.calls.ws({ workspace: validate(workspaceSchema, options?.workspace, "workspace") });
  }
}
