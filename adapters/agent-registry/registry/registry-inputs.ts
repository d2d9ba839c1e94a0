import { InvalidArgumentError } from "openshell";
import { z } from "zod";
import { MAX_TAIL_LINES } from "../resources/adapter-contract.js";
import { type RegistryRequestOptions, timeoutMsSchema } from "./registry-options.js";

/** Options of `getAgent` and `getModel`: without `tag`, the latest. */
export interface GetTaggedOptions extends RegistryRequestOptions {
  /** The tag to read (default: the registry's latest). */
  tag?: string;
  /** The registry namespace (default: the registry's, `default`). */
  namespace?: string;
}

/** Options of `getRuntime` and `getDeployment`. */
export interface GetOptions extends RegistryRequestOptions {
  /** The registry namespace (default: the registry's, `default`). */
  namespace?: string;
}

/** Which deployments `listDeployments` returns. */
export interface ListDeploymentsOptions extends RegistryRequestOptions {
  /** The registry namespace (default `default`; `all` lists every namespace). */
  namespace?: string;
  /** At most this many per page (the registry's default is 50). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** Only deployments with all these labels (keys without `,` or `=`, values without `,`). */
  labels?: Readonly<Record<string, string>>;
  /** `managed`: deployed through the registry; `discovered`: found on a runtime by an adapter. */
  origin?: "managed" | "discovered";
}

/** Options of `getDeploymentLogs`. */
export interface DeploymentLogsOptions extends RegistryRequestOptions {
  /** The registry namespace (default: the registry's, `default`). */
  namespace?: string;
  /** The last this many lines, at most 10000 (the registry's cap); 0 or absent: up to the cap. */
  tailLines?: number;
}

// Not trimmed: a name is sent as given, and only one with nothing in it is refused.
const notEmpty = (what: string) => z.string().regex(/\S/, `${what} must not be empty`);

const requestShape = {
  signal: z.instanceof(AbortSignal, { message: "must be an AbortSignal" }).optional(),
  timeoutMs: timeoutMsSchema.optional(),
  namespace: notEmpty("namespace").optional(),
};

/** The registry's names allow `/` (encoded on the wire); they may not be empty. */
export const nameSchema = notEmpty("name");

export const getTaggedSchema = z.object({ ...requestShape, tag: notEmpty("tag").optional() }).strict();
export const getSchema = z.object(requestShape).strict();

// The registry parses `labels` as `k=v,k2=v2`, splitting on `,` and the first `=`: a key with
// either, or a value with `,`, would silently select something else.
const labelsSchema = z
  .record(
    z
      .string()
      .regex(/\S/, "label keys must not be empty")
      .regex(/^[^,=]+$/, "label keys must not contain , or ="),
    z.string().regex(/^[^,]*$/, "label values must not contain ,"),
  )
  .optional();

export const listDeploymentsSchema = z
  .object({
    ...requestShape,
    limit: z.number().int("must be a whole number").positive("must be positive").optional(),
    cursor: notEmpty("cursor").optional(),
    labels: labelsSchema,
    origin: z.enum(["managed", "discovered"]).optional(),
  })
  .strict();

export const logsSchema = z
  .object({
    ...requestShape,
    tailLines: z
      .number()
      .int("must be a whole number")
      .min(0, "must not be negative")
      .max(MAX_TAIL_LINES, `must be at most ${MAX_TAIL_LINES}: the registry answers no more lines than that`)
      .optional(),
  })
  .strict();

/** Parses a call's input, or throws an InvalidArgumentError naming the field (`tailLines`, `labels.a,b`). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, method: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = (issue?.path ?? []).map(String).join(".") || "options";
  throw new InvalidArgumentError(`RegistryClient.${method}: ${field}: ${issue?.message ?? "invalid"}`, {
    field,
  });
}

/** Checks a resource name, or throws an InvalidArgumentError naming `name`. */
export function parseName(value: unknown, method: string): string {
  const result = nameSchema.safeParse(value);
  if (result.success) return result.data;
  const why = typeof value === "string" ? "must not be empty" : "must be a string";
  throw new InvalidArgumentError(`RegistryClient.${method}: name ${why}`, { field: "name" });
}
