import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateConfigRequestSchema } from "../../gen/openshell/v1/openshell_pb.js";
import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions } from "../request-options.js";
import { sandboxNameSchema, workspaceSchema } from "../validation/common-schemas.js";
import type { SandboxIdResolver } from "./policy-service.js";
import {
  type EffectiveSettingInfo,
  fromSettingValue,
  type GatewaySettingsInfo,
  type SandboxSettingsInfo,
  type SettingChangeResult,
  type SettingInput,
  type SettingOptions,
  type SettingValueType,
  scopeName,
  settingInputSchema,
  settingKeySchema,
  toSettingValue,
} from "./policy-settings.js";

/**
 * `os.policy.settings`: the named settings that go with a sandbox's policy, at sandbox scope and at
 * the gateway-wide `global` scope. A global setting applies to every sandbox and wins over the
 * sandbox's own value of the same key ({@link EffectiveSettingInfo.scope} says which one applies).
 *
 * ```ts
 * await os.policy.settings.set("my-sandbox", "ocsf_logging", true);
 * await os.policy.settings.setGlobal("policy_validation_failure_mode", "warn"); // every sandbox
 * const { settings } = await os.policy.settings.get("my-sandbox");
 * ```
 */
export class PolicySettingsService {
  /** @internal */
  constructor(
    private readonly calls: GatewayCalls,
    private readonly sandboxes: SandboxIdResolver,
  ) {}

  /**
   * The sandbox's effective settings, each with the scope it comes from.
   * @throws NotFoundError when there is no such sandbox.
   */
  async get(sandboxName: string, options?: SettingOptions): Promise<SandboxSettingsInfo> {
    const name = validate(sandboxNameSchema, sandboxName, "sandbox name", { field: "sandbox" });
    this.workspaceOf(options);
    const sandboxId = await this.sandboxes.resolveId(name, options);
    const res = await this.calls.unary(`get settings of sandbox "${name}"`, options, (o) =>
      this.calls.openshell.getSandboxConfig({ sandboxId }, o),
    );
    const settings: Record<string, EffectiveSettingInfo> = {};
    for (const [key, s] of Object.entries(res.settings)) {
      settings[key] = { value: fromSettingValue(s.value), scope: scopeName(s.scope) };
    }
    return { settings, configRevision: res.configRevision };
  }

  /**
   * Sets one setting of the sandbox.
   * @throws NotFoundError when there is no such sandbox.
   * @throws InvalidArgumentError for a bad key or value (its `field` names it), or one the gateway rejects.
   */
  async set(
    sandboxName: string,
    key: string,
    value: SettingInput,
    options?: SettingOptions,
  ): Promise<SettingChangeResult> {
    const name = validate(sandboxNameSchema, sandboxName, "sandbox name", { field: "sandbox" });
    const req = this.change(key, value);
    const res = await this.update(`set setting "${req.settingKey}" of sandbox "${name}"`, options, {
      ...req,
      name,
      workspace: this.workspaceOf(options),
    });
    return { settingsRevision: res.settingsRevision };
  }

  /** Removes one setting of the sandbox. Resolves `false` when it was not set. @throws NotFoundError */
  async delete(sandboxName: string, key: string, options?: SettingOptions): Promise<boolean> {
    const name = validate(sandboxNameSchema, sandboxName, "sandbox name", { field: "sandbox" });
    const settingKey = validate(settingKeySchema, key, "setting key", { field: "key" });
    const res = await this.update(`delete setting "${settingKey}" of sandbox "${name}"`, options, {
      name,
      settingKey,
      deleteSetting: true,
      workspace: this.workspaceOf(options),
    });
    return res.deleted;
  }

  /** The gateway-wide (global) settings, which apply to every sandbox. */
  async gateway(options?: RequestOptions): Promise<GatewaySettingsInfo> {
    const res = await this.calls.unary("get the gateway's settings", options, (o) =>
      this.calls.openshell.getGatewayConfig({}, o),
    );
    const settings: Record<string, SettingValueType | undefined> = {};
    for (const [key, value] of Object.entries(res.settings)) settings[key] = fromSettingValue(value);
    return { settings, settingsRevision: res.settingsRevision };
  }

  /**
   * Sets a gateway-wide setting, which applies to every sandbox and wins over their own values.
   * Needs a gateway admin.
   * @throws PermissionDeniedError when you may not change gateway-wide settings.
   */
  async setGlobal(key: string, value: SettingInput, options?: RequestOptions): Promise<SettingChangeResult> {
    const req = this.change(key, value);
    const res = await this.update(`set global setting "${req.settingKey}"`, options, {
      ...req,
      global: true,
    });
    return { settingsRevision: res.settingsRevision };
  }

  /** Removes a gateway-wide setting. Resolves `false` when it was not set. */
  async deleteGlobal(key: string, options?: RequestOptions): Promise<boolean> {
    const settingKey = validate(settingKeySchema, key, "setting key", { field: "key" });
    const res = await this.update(`delete global setting "${settingKey}"`, options, {
      settingKey,
      deleteSetting: true,
      global: true,
    });
    return res.deleted;
  }

  private change(key: string, value: SettingInput) {
    const settingKey = validate(settingKeySchema, key, "setting key", { field: "key" });
    const checked = validate(settingInputSchema, value, "setting value", { field: "value" });
    return { settingKey, settingValue: toSettingValue(checked) };
  }

  private update(
    what: string,
    options: RequestOptions | undefined,
    req: MessageInitShape<typeof UpdateConfigRequestSchema>,
  ) {
    return this.calls.unary(what, options, (o) => this.calls.openshell.updateConfig(req, o));
  }

  private workspaceOf(options?: SettingOptions): string {
    return this.calls.ws({ workspace: validate(workspaceSchema, options?.workspace, "workspace") });
  }
}
