import { z } from "zod";

/** SEMANTICS: sandbox names are DNS-1123 labels of at most 19 characters. */
export const sandboxNameSchema = z
  .string()
  .max(19, "must be at most 19 characters")
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
    "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
  )
  .refine((name) => !name.includes("--"), "must not contain '--'");

/** Provider and route names: non-empty, one path-safe token. */
export const objectNameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(253, "must be at most 253 characters")
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, "must be letters, digits, '.', '_' or '-'");

export const workspaceSchema = z
  .string()
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters")
  .optional();

/** Environment variable keys as the gateway accepts them. */
export const envKeySchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must match ^[A-Za-z_][A-Za-z0-9_]*$");

const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");

/** SEMANTICS: at most 128 entries; key <= 256 bytes; value <= 8 KiB. */
export const sandboxEnvSchema = z
  .record(
    envKeySchema.refine((k) => utf8Bytes(k) <= 256, "key must be at most 256 bytes"),
    z.string().refine((v) => utf8Bytes(v) <= 8192, "value must be at most 8 KiB"),
  )
  .refine((env) => Object.keys(env).length <= 128, "at most 128 entries");

/**
 * Object labels exist to be matched by `sandboxes.list({ labels })`, which sends them as the
 * selector `k=v,k2=v2` that the gateway splits at `,` and the first `=` and trims: a key with `,`,
 * `=` or surrounding spaces, or a value with `,` or surrounding spaces, would select something else.
 */
export const labelsSchema = z.record(
  z
    .string()
    .min(1, "label key must not be empty")
    .max(317, "label key too long")
    .regex(/^[^\s,=]([^,=]*[^\s,=])?$/, "label key must not contain ',' or '=' or start or end with a space"),
  z
    .string()
    .max(63, "label value must be at most 63 characters")
    .regex(/^([^\s,]([^,]*[^\s,])?)?$/, "label value must not contain ',' or start or end with a space"),
);

export const timeoutMsSchema = z.number().int().positive().max(2_147_483_647).optional();

/** A protobuf uint32 (page sizes and offsets, counts). */
export const uint32Schema = z.number().int().min(0).max(4_294_967_295);

/**
 * A list call's options: `shape` (its filters and paging) scoped to one workspace (default: the
 * client's) or to every workspace, never both.
 */
export function workspaceScopedListSchema<S extends z.ZodRawShape>(shape: S) {
  return z
    .object(shape)
    .extend({ workspace: workspaceSchema, allWorkspaces: z.boolean().optional() })
    .refine(
      (o) => {
        // The generic shape hides the two keys from the type; they are there, added just above.
        const scope = o as { workspace?: string; allWorkspaces?: boolean };
        return !(scope.workspace && scope.allWorkspaces);
      },
      {
        message: "give workspace or allWorkspaces, not both",
        path: ["allWorkspaces"],
      },
    );
}
