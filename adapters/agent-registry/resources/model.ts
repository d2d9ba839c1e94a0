import { z } from "zod";
import { envelope } from "./meta.js";

/** `SecretKeyRef`: a key in a registry Secret (the registry never resolves it). */
export const secretKeyRefSchema = z.object({
  name: z.string().min(1, "must not be empty"),
  namespace: z.string().optional(),
  key: z.string().optional(),
});

/** Model auth strategies: ambient runtime identity, a registry Secret, or the caller's bearer token. */
export const MODEL_AUTH_STRATEGIES = ["runtime", "secretRef", "passthrough"] as const;

/**
 * The registry's `ModelSpec`. The registry's schema currently allows only `provider: "bedrock"`;
 * this stays an open string so that which providers the adapter serves is decided (and reported
 * as a condition naming the field) where providers are mapped, not by this parser.
 */
export const modelSpecSchema = z.object({
  provider: z.string().min(1, "must not be empty"),
  model: z.string().min(1, "must not be empty"),
  auth: z
    .object({ strategy: z.enum(MODEL_AUTH_STRATEGIES), secretRef: secretKeyRefSchema.optional() })
    .refine((auth) => auth.strategy !== "secretRef" || auth.secretRef !== undefined, {
      message: "strategy secretRef needs secretRef",
      path: ["secretRef"],
    })
    .optional(),
  endpoint: z
    .object({
      baseUrl: z.string().optional(),
      region: z.string().optional(),
      tls: z
        .object({ caCertSecretRef: secretKeyRefSchema.optional(), disableVerify: z.boolean().optional() })
        .optional(),
    })
    .optional(),
  iconUrl: z.string().optional(),
});

/** What a Model is and how it is reached. */
export type ModelSpec = z.output<typeof modelSpecSchema>;

/** The registry's `Model`. */
export const modelSchema = z.object({
  ...envelope,
  kind: z.literal("Model"),
  spec: modelSpecSchema,
});

/** A registry Model. */
export type Model = z.output<typeof modelSchema>;
