import { z } from "zod";

/**
 * Checks on runtime inputs, made before any request reaches an engine so a mistake is reported with
 * the field that holds it rather than as an engine's 400. They check shape, not policy: anything the
 * engines accept and a sandbox may need is allowed.
 */

/** Docker's and Podman's container and network name rule. */
export const containerNameSchema = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/,
    "must start with a letter or digit and hold only letters, digits, '_', '.' or '-'",
  );

const nonEmpty = z.string().min(1, "must not be empty");
const envKey = z.string().regex(/^[^=\0]+$/, "must be non-empty and contain no '=' or NUL");
const noNul = z.string().refine((value) => !value.includes("\0"), "must not contain NUL");
const port = z.number().int().min(1, "must be 1-65535").max(65535, "must be 1-65535");
const labels = z.record(z.string().min(1, "label keys must not be empty"), noNul);
const absolutePath = z.string().startsWith("/", "must be an absolute path");

const mountSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("bind"),
    source: absolutePath,
    target: absolutePath,
    readOnly: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("volume"),
    source: nonEmpty,
    target: absolutePath,
    readOnly: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("tmpfs"),
    target: absolutePath,
    sizeMiB: z.number().int().positive().optional(),
    mode: z.number().int().min(0).max(0o7777).optional(),
    exec: z.boolean().optional(),
    userOwned: z.boolean().optional(),
  }),
]);

export const containerSpecSchema = z.object({
  image: nonEmpty,
  name: containerNameSchema.optional(),
  command: z.array(noNul).optional(),
  entrypoint: z.array(noNul).optional(),
  env: z.record(envKey, noNul).optional(),
  labels: labels.optional(),
  user: nonEmpty.optional(),
  workdir: absolutePath.optional(),
  mounts: z.array(mountSchema).optional(),
  readOnlyRoot: z.boolean().optional(),
  capAdd: z.array(nonEmpty).optional(),
  capDrop: z.array(nonEmpty).optional(),
  noNewPrivileges: z.boolean().optional(),
  privileged: z.boolean().optional(),
  resources: z
    .object({
      cpus: z.number().positive("must be more than 0").optional(),
      memoryMiB: z.number().int().min(6, "must be at least 6 MiB (the engines' minimum)").optional(),
      pidsLimit: z.number().int().positive().optional(),
    })
    .optional(),
  gpus: z.union([z.literal("all"), z.number().int().positive()]).optional(),
  network: nonEmpty.optional(),
  ports: z
    .array(
      z.object({
        containerPort: port,
        protocol: z.enum(["tcp", "udp"]).optional(),
        hostPort: z.number().int().min(0).max(65535).optional(),
        hostIp: z.ipv4().or(z.ipv6()).optional(),
      }),
    )
    .optional(),
  extraHosts: z
    .array(z.object({ host: nonEmpty, ip: z.ipv4().or(z.ipv6()).or(z.literal("host-gateway")) }))
    .optional(),
  tty: z.boolean().optional(),
  openStdin: z.boolean().optional(),
});

export const execSpecSchema = z.object({
  command: z.array(noNul).min(1, "must hold at least the program to run"),
  env: z.record(envKey, noNul).optional(),
  workdir: absolutePath.optional(),
  user: nonEmpty.optional(),
  tty: z.boolean().optional(),
  stdin: z.boolean().optional(),
  terminalSize: z
    .object({ columns: z.number().int().positive(), rows: z.number().int().positive() })
    .optional(),
});

export const networkSpecSchema = z.object({
  name: containerNameSchema,
  internal: z.boolean().optional(),
  labels: labels.optional(),
  bridgeName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "a Linux interface name: 1-15 letters, digits, _ . -")
    .optional(),
});

export const volumeSpecSchema = z.object({ name: containerNameSchema, labels: labels.optional() });

export const logOptionsSchema = z.object({
  follow: z.boolean().optional(),
  tail: z.number().int().min(0).optional(),
  since: z.date().optional(),
  timestamps: z.boolean().optional(),
  stdout: z.boolean().optional(),
  stderr: z.boolean().optional(),
});

export const idSchema = nonEmpty;
