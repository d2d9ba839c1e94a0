import { z } from "zod";

/** Kubernetes quantities as the gateway takes them (`500m`, `2`, `1.5`, `512Mi`, `2Gi`). */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** A quantity written as a string or, as YAML users often do, a bare number (`cpu: 1`). */
const quantitySchema = z
  .union([z.string(), z.number().nonnegative()])
  .transform((value) => String(value))
  .refine((value) => QUANTITY.test(value), "must be a Kubernetes quantity such as 500m, 2, 512Mi or 2Gi");

const resourceListSchema = z.object({ cpu: quantitySchema.optional(), memory: quantitySchema.optional() });

/** `host` or `host:port`, lowercase DNS name or IPv4 address. */
const EGRESS_HOST = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/;

/** Environment variable names, as the gateway accepts them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The keys this adapter reads from `Deployment.spec.runtimeConfig`. Other keys are kept (the
 * registry allows anything there) and ignored.
 */
export const openShellDeploymentConfigSchema = z.looseObject({
  /** The port the agent listens on inside the sandbox (the registry's A2A tooling uses 8080). */
  port: z.number().int("must be a whole number").min(1).max(65535).optional(),
  /** The sandbox's main process. OpenShell does not run an image's own CMD. */
  command: z
    .array(z.string())
    .min(1, "must name a program")
    .max(256, "must have at most 256 arguments")
    .refine((command) => command[0] !== "", "must start with a program, not an empty string")
    .optional(),
  /** Kubernetes-style resource requests and limits. */
  resources: z
    .object({ requests: resourceListSchema.optional(), limits: resourceListSchema.optional() })
    .optional(),
  /** Hosts the agent may reach besides its model host (`host` or `host:port`, 443 when no port). */
  egressHosts: z.array(z.string().regex(EGRESS_HOST, "must be host or host:port, lowercase")).optional(),
  /** Names of environment variables of the adapter's process that hold the model credentials. */
  credentialEnv: z.array(z.string().regex(ENV_NAME, "must match ^[A-Za-z_][A-Za-z0-9_]*$")).optional(),
  /** How long the agent may take to answer its first request once the sandbox is READY. */
  readinessTimeoutSeconds: z.number().int("must be a whole number").positive().max(3600).optional(),
  /** The path probed for `protocol: HTTP` agents (A2A agents are probed at their agent card). */
  healthPath: z.string().startsWith("/", "must start with /").optional(),
});

/** The OpenShell keys of a Deployment's `runtimeConfig`, validated. */
export type OpenShellDeploymentConfig = z.output<typeof openShellDeploymentConfigSchema>;

/** The gateway name that means the embedded local mode (`OpenShell.local()`). */
export const LOCAL_GATEWAY = "local";

/**
 * `Runtime.spec.config` for `type: OpenShell`: which gateway. `gateway` is a gateway name known to
 * the OpenShell CLI's configuration, or `local` for the embedded local mode; `endpoint` is a
 * gateway URL; neither means the active gateway, as the CLI would pick it.
 */
export const openShellRuntimeConfigSchema = z
  .looseObject({
    gateway: z
      .string()
      .min(1, "must not be empty")
      .refine(
        (name) => !name.includes("/") && name !== "." && name !== "..",
        "must be one gateway name, not a path",
      )
      .optional(),
    endpoint: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    workspace: z.string().min(1, "must not be empty").max(63, "must be at most 63 characters").optional(),
  })
  .refine((config) => config.gateway === undefined || config.endpoint === undefined, {
    message: "set gateway or endpoint, not both",
    path: ["endpoint"],
  });

/** The OpenShell keys of a Runtime's `config`, validated. */
export type OpenShellRuntimeConfig = z.output<typeof openShellRuntimeConfigSchema>;

/** Which gateway a Runtime names. */
export type GatewaySelection =
  | { kind: "local" }
  | { kind: "named"; name: string }
  | { kind: "endpoint"; url: string }
  | { kind: "active" };

/** The gateway a validated runtime config selects. */
export function gatewaySelection(config: OpenShellRuntimeConfig): GatewaySelection {
  if (config.endpoint !== undefined) return { kind: "endpoint", url: config.endpoint };
  if (config.gateway === LOCAL_GATEWAY) return { kind: "local" };
  if (config.gateway !== undefined) return { kind: "named", name: config.gateway };
  return { kind: "active" };
}
