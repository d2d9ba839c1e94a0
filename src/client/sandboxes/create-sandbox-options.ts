import { create, type JsonObject, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { z } from "zod";
import { InvalidArgumentError } from "../../errors.js";
import { type SandboxPolicy, SandboxPolicySchema } from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  type CreateSandboxRequest,
  CreateSandboxRequestSchema,
} from "../../gen/openshell/v1/openshell_pb.js";
import { jsonObjectSchema, messageInitSchema } from "../../validation/message-init.js";
import { validate } from "../../validation/validate.js";
import {
  labelsSchema,
  objectNameSchema,
  sandboxEnvSchema,
  sandboxNameSchema,
  workspaceSchema,
} from "../validation/common-schemas.js";

/** Kubernetes-style quantities: `500m` or `2` CPUs, `512Mi` or `2Gi` memory. */
export interface ResourceQuantities {
  cpu?: string;
  memory?: string;
}

/** What to run and how. Everything is optional: the gateway fills in its defaults. */
export interface CreateSandboxOptions {
  /** DNS-1123 label, at most 19 characters. Omitted: the gateway picks one. */
  name?: string;
  /**
   * Create from the stored workload template of this name (`os.templates`). The template owns the
   * image, environment, resources, GPUs and driver settings: with a template, only `policy` and
   * `providers` (and the object's name, labels and annotations) may be given; the gateway refuses
   * the rest, so the SDK does too. `command` and `tty` are sent, but a gateway may ignore them.
   */
  template?: string;
  /** Container image. Omitted: the gateway's default image. */
  image?: string;
  /**
   * The main process. Omitted: an interactive login shell (`/bin/bash -l` with a TTY) on a real
   * gateway. When it exits 0 the sandbox goes to phase `completed`, with any other code to `error`
   * (older gateways: `error` for every code, 0 included); `sb.wait()` returns the exit code.
   */
  command?: string[];
  /** Give the main process a TTY. */
  tty?: boolean;
  /** Environment of the main process and of execs (at most 128 entries). */
  env?: Record<string, string>;
  /** Object labels, matched by `sandboxes.list({ labels })`. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Labels put on the container or pod itself. */
  containerLabels?: Record<string, string>;
  /** Sandbox policy (filesystem, process, network). Omitted: the image's `/etc/openshell/policy.yaml`. */
  policy?: MessageInitShape<typeof SandboxPolicySchema>;
  /** Names of providers whose credentials the sandbox may use (at most 32). */
  providers?: string[];
  /** Resource requests and limits. */
  resources?: { requests?: ResourceQuantities; limits?: ResourceQuantities };
  /** Number of GPUs. */
  gpus?: number;
  /** Log level of the in-sandbox supervisor (`info`, `debug`, ...). */
  logLevel?: string;
  /** Kubernetes runtime class, where the gateway runs on Kubernetes. */
  runtimeClassName?: string;
  /** Run in a user namespace. */
  userNamespaces?: boolean;
  /** Per-driver settings, keyed by compute driver name. */
  driverConfig?: JsonObject;
  workspace?: string;
}

const quantity = z
  .string()
  .regex(
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/,
    "must be a quantity like 500m, 2, 512Mi or 2Gi",
  );
const quantities = z.object({ cpu: quantity.optional(), memory: quantity.optional() }).strict();

/** SEMANTICS §3: with workload_template_name the gateway refuses these (INVALID_ARGUMENT). */
const templateOwned = [
  "image",
  "env",
  "resources",
  "gpus",
  "logLevel",
  "runtimeClassName",
  "userNamespaces",
  "containerLabels",
  "driverConfig",
] as const;

const createSandboxSchema = z
  .object({
    name: sandboxNameSchema.optional(),
    template: sandboxNameSchema.optional(),
    image: z.string().max(4096).optional(),
    command: z
      .array(z.string().refine((arg) => !arg.includes("\0"), "must not contain NUL"))
      .max(256, "at most 256 arguments")
      .optional(),
    tty: z.boolean().optional(),
    env: sandboxEnvSchema.optional(),
    labels: labelsSchema.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    containerLabels: z.record(z.string(), z.string()).optional(),
    // Checked against the message itself: create() would spread a string into a list, drop a
    // misspelt field (and with it a rule) and leave toBinary to fail without naming the field.
    policy: messageInitSchema(SandboxPolicySchema).optional(),
    providers: z.array(objectNameSchema).max(32, "at most 32 providers").optional(),
    resources: z
      .object({ requests: quantities.optional(), limits: quantities.optional() })
      .strict()
      .optional(),
    gpus: z.number().int().min(0).max(64).optional(),
    logLevel: z.enum(["error", "warn", "info", "debug", "trace"]).optional(),
    runtimeClassName: z.string().optional(),
    userNamespaces: z.boolean().optional(),
    driverConfig: jsonObjectSchema.optional(),
    workspace: workspaceSchema,
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.template === undefined) return;
    for (const field of templateOwned) {
      if (o[field] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `cannot be given with template "${o.template}": the template sets the image, environment, resources and driver settings; remove ${field} or change the template (a sandbox from a template may add only policy and providers)`,
        });
      }
    }
  });

/** SEMANTICS: a policy may be at most 256 KiB on the wire. */
const maxPolicyBytes = 256 * 1024;

/** Validates the options and builds the CreateSandbox request. */
export function buildCreateSandboxRequest(
  input: CreateSandboxOptions,
  defaultWorkspace: string,
): CreateSandboxRequest {
  const o = validate(createSandboxSchema, input ?? {}, "sandbox");
  let policy: SandboxPolicy | undefined;
  if (o.policy) {
    policy = create(SandboxPolicySchema, o.policy);
    const size = toBinary(SandboxPolicySchema, policy).byteLength;
    if (size > maxPolicyBytes) {
      throw new InvalidArgumentError(
        `invalid sandbox.policy: is ${size} bytes serialized; at most ${maxPolicyBytes}`,
        {
          field: "policy",
        },
      );
    }
  }
  return create(CreateSandboxRequestSchema, {
    name: o.name ?? "",
    labels: o.labels ?? {},
    annotations: o.annotations ?? {},
    workspace: o.workspace ?? defaultWorkspace,
    workloadTemplateName: o.template ?? "",
    spec: {
      logLevel: o.logLevel ?? "",
      environment: o.env ?? {},
      command: o.command ?? [],
      tty: o.tty ?? false,
      providers: o.providers ?? [],
      policy,
      resourceRequirements: o.gpus !== undefined ? { gpu: { count: o.gpus } } : undefined,
      // With a workload template the gateway refuses any inline template, even an empty one.
      template:
        o.template !== undefined
          ? undefined
          : {
              image: o.image ?? "",
              runtimeClassName: o.runtimeClassName ?? "",
              labels: o.containerLabels ?? {},
              userNamespaces: o.userNamespaces,
              // protobuf-es represents Struct as plain JSON: {"requests":{"cpu":"500m"},"limits":{...}}.
              resources: o.resources as JsonObject | undefined,
              driverConfig: o.driverConfig as JsonObject | undefined,
            },
    },
  });
}
