import { z } from "zod";
import { conditionSchema } from "./condition.js";

/**
 * The registry's `ObjectMeta` (openapi-subset.json `ObjectMeta`). `namespace` is omitted by the
 * registry when it is `default`; `uid` is set once the registry has stored the object.
 */
export const objectMetaSchema = z.object({
  name: z.string().min(1, "must not be empty"),
  namespace: z.string().optional(),
  tag: z.string().optional(),
  uid: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  deletionTimestamp: z.string().optional(),
});

/** A resource's metadata as the registry sends it. */
export type ObjectMeta = z.output<typeof objectMetaSchema>;

/** `ResourceRef`: points at another resource (`kind` and `name` required). */
export const resourceRefSchema = z.object({
  kind: z.string().min(1, "must not be empty"),
  name: z.string().min(1, "must not be empty"),
  namespace: z.string().optional(),
  tag: z.string().optional(),
});

/** A reference to another registry resource. */
export type ResourceRef = z.output<typeof resourceRefSchema>;

/**
 * `Status`: the conditions and free-form details the registry persists from an adapter's answer.
 * `conditions` may be `null` on the wire (a Go nil slice).
 */
export const statusSchema = z.object({
  conditions: z.array(conditionSchema).nullable().optional(),
  details: z.unknown().optional(),
});

/** A resource's status. */
export type Status = z.output<typeof statusSchema>;

/** The envelope fields every v1alpha1 resource has (`apiVersion: "ar.dev/v1alpha1"`). */
export const envelope = {
  apiVersion: z.string().min(1, "must not be empty"),
  metadata: objectMetaSchema,
  status: statusSchema.optional(),
};

/** The registry's namespace when `metadata.namespace` is absent or empty. */
export const DEFAULT_NAMESPACE = "default";

/** The namespace a resource lives in: the registry omits `default`. */
export function namespaceOf(metadata: { namespace?: string | undefined }): string {
  return metadata.namespace === undefined || metadata.namespace === ""
    ? DEFAULT_NAMESPACE
    : metadata.namespace;
}
