import { z } from "zod";
import { envelope, resourceRefSchema } from "./meta.js";

/** `desiredState`: `""` and `"deployed"` both mean deployed; `"undeployed"` goes straight to remove. */
export const DESIRED_STATES = ["", "deployed", "undeployed"] as const;

/** The registry's `DeploymentSpec` (openapi-subset.json): `targetRef` and `runtimeRef` required. */
export const deploymentSpecSchema = z.object({
  targetRef: resourceRefSchema,
  runtimeRef: resourceRefSchema,
  modelRef: z
    .object({
      name: z.string().min(1, "must not be empty"),
      namespace: z.string().optional(),
      tag: z.string().optional(),
    })
    .optional(),
  desiredState: z.enum(DESIRED_STATES).optional(),
  env: z.record(z.string(), z.string()).optional(),
  // Free-form for the registry; the adapter reads its own keys with openShellDeploymentConfigSchema.
  runtimeConfig: z.record(z.string(), z.unknown()).optional(),
  deploymentRefs: z
    .array(z.object({ name: z.string().min(1, "must not be empty"), namespace: z.string().optional() }))
    .nullable()
    .optional(),
  harness: z
    .object({ type: z.string().min(1, "must not be empty"), permissionMode: z.string().optional() })
    .optional(),
});

/** What a Deployment asks for. */
export type DeploymentSpec = z.output<typeof deploymentSpecSchema>;

/** The registry's `Deployment`: a target (`Agent` or `MCPServer`) on a `Runtime`. */
export const deploymentSchema = z.object({
  ...envelope,
  kind: z.literal("Deployment"),
  spec: deploymentSpecSchema,
});

/** A registry Deployment. Its `status` holds conditions and details only: the adapter's
 * `runtimeMetadata` is stored by the registry as annotations (see {@link runtimeMetadataAnnotations}). */
export type Deployment = z.output<typeof deploymentSchema>;

/** The annotation prefix under which the registry stores an adapter's `runtimeMetadata`. */
export function runtimeMetadataPrefix(runtimeType: string): string {
  return `runtimes.agentregistry.solo.io/${runtimeType}/`;
}

/** `runtimeMetadata` as the registry stores it: annotations `runtimes.agentregistry.solo.io/<type>/<key>`. */
export function runtimeMetadataAnnotations(
  runtimeType: string,
  runtimeMetadata: Readonly<Record<string, string>>,
): Record<string, string> {
  const prefix = runtimeMetadataPrefix(runtimeType);
  return Object.fromEntries(Object.entries(runtimeMetadata).map(([key, value]) => [prefix + key, value]));
}

/** The `runtimeMetadata` an earlier apply stored on a Deployment, read back from its annotations. */
export function runtimeMetadataFromAnnotations(
  runtimeType: string,
  annotations: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const prefix = runtimeMetadataPrefix(runtimeType);
  return Object.fromEntries(
    Object.entries(annotations ?? {})
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}
