import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import {
  SettingScope,
  type SettingValue,
  SettingValueSchema,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";

/**
 * A setting's value as you give it: a string, a boolean, an integer (a safe-integer `number` or a
 * `bigint`; read back as `bigint`) or bytes.
 */
export type SettingInput = string | boolean | number | bigint | Uint8Array;

/** A setting's value as the gateway reports it; integers are `bigint` (int64, kept exact). */
export type SettingValueType = string | boolean | bigint | Uint8Array;

/** Which scope a sandbox's effective setting comes from: a gateway-wide (global) one wins. */
export type SettingScopeName = "sandbox" | "global" | "unspecified";

/** One effective setting of a sandbox. */
export interface EffectiveSettingInfo {
  value: SettingValueType | undefined;
  scope: SettingScopeName;
}

/** Result of {@link PolicySettingsService.get}: a sandbox's effective settings. */
export interface SandboxSettingsInfo {
  settings: Record<string, EffectiveSettingInfo>;
  /** Revision of the sandbox's whole configuration (policy and settings), a uint64 kept exact. */
  configRevision: bigint;
}

/** Result of {@link PolicySettingsService.gateway}: the gateway-wide (global) settings. */
export interface GatewaySettingsInfo {
  settings: Record<string, SettingValueType | undefined>;
  /** Bumped by every global setting change (a uint64, kept exact). */
  settingsRevision: bigint;
}

/** Result of a setting change. */
export interface SettingChangeResult {
  /** The settings revision after the change (sandbox scope: the sandbox's; global: the gateway's). */
  settingsRevision: bigint;
}

/** Options of the sandbox-scope setting calls. */
export type SettingOptions = WorkspaceOptions & RequestOptions;

/** Setting keys: one token of letters, digits, `.`, `_` and `-`, as the gateway's keys are written. */
export const settingKeySchema = z
  .string()
  .min(1, "must not be empty")
  .max(253, "must be at most 253 characters")
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, "must be letters, digits, '.', '_' or '-'");

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

export const settingInputSchema = z.union(
  [
    z.string(),
    z.boolean(),
    z.number().int("must be an integer").refine(Number.isSafeInteger, "must be a safe integer; use a bigint"),
    z.bigint().refine((v) => v >= int64Min && v <= int64Max, "must fit in a signed 64-bit integer"),
    z.instanceof(Uint8Array),
  ],
  { error: "must be a string, boolean, integer (number or bigint) or Uint8Array" },
);

/** The wire form of a checked setting value. */
export function toSettingValue(value: SettingInput): SettingValue {
  if (typeof value === "string") return create(SettingValueSchema, { value: { case: "stringValue", value } });
  if (typeof value === "boolean") return create(SettingValueSchema, { value: { case: "boolValue", value } });
  if (typeof value === "number" || typeof value === "bigint") {
    return create(SettingValueSchema, { value: { case: "intValue", value: BigInt(value) } });
  }
  return create(SettingValueSchema, { value: { case: "bytesValue", value } });
}

/** The value a setting holds; undefined for a value of a kind newer than this SDK. */
export function fromSettingValue(value: SettingValue | undefined): SettingValueType | undefined {
  return value?.value.value;
}

export function scopeName(scope: SettingScope): SettingScopeName {
  if (scope === SettingScope.SANDBOX) return "sandbox";
  if (scope === SettingScope.GLOBAL) return "global";
  return "unspecified";
}
