import { z } from "zod";
import { repositorySchema } from "./agent.js";
import { envelope } from "./meta.js";

// The MCPServer shapes follow the registry's Go types (pkg/api/v1alpha1/mcpserver.go); the
// registry's OpenAPI subset has no MCPServer schema. Arguments and key-value inputs keep every
// field they carry (variables, choices, ...), since how to run the package depends on all of them.

/** `MCPKeyValueInput`: an environment variable or header of an MCP package or remote. */
export const mcpKeyValueInputSchema = z.looseObject({
  name: z.string().min(1, "must not be empty"),
  value: z.string().optional(),
  default: z.string().optional(),
  isRequired: z.boolean().optional(),
  isSecret: z.boolean().optional(),
});

/** `MCPArgument`: a positional or named argument of a package's runtime. */
export const mcpArgumentSchema = z.looseObject({
  type: z.enum(["positional", "named"]),
  name: z.string().optional(),
  value: z.string().optional(),
  default: z.string().optional(),
});

/** `MCPTransport`: how an MCP server is spoken to (`stdio`, `streamable-http`, `sse`). */
export const mcpTransportSchema = z.object({
  type: z.string().min(1, "must not be empty"),
  url: z.string().optional(),
  headers: z.array(mcpKeyValueInputSchema).nullable().optional(),
});

/** `MCPPackage`: a runnable distribution (an OCI image when `registryType` is `oci`). */
export const mcpPackageSchema = z.object({
  registryType: z.string().min(1, "must not be empty"),
  registryBaseUrl: z.string().optional(),
  identifier: z.string().min(1, "must not be empty"),
  version: z.string().optional(),
  fileSha256: z.string().optional(),
  runtimeHint: z.string().optional(),
  transport: mcpTransportSchema,
  runtimeArguments: z.array(mcpArgumentSchema).nullable().optional(),
  packageArguments: z.array(mcpArgumentSchema).nullable().optional(),
  environmentVariables: z.array(mcpKeyValueInputSchema).nullable().optional(),
});

/** The registry's `MCPServerSpec`: a bundled server (`source`) or a remote one (`remote`). */
export const mcpServerSpecSchema = z.object({
  title: z.string().optional(),
  description: z.string().optional(),
  source: z
    .object({ package: mcpPackageSchema.optional(), repository: repositorySchema.optional() })
    .optional(),
  remote: mcpTransportSchema.optional(),
});

/** What an MCPServer is. */
export type MCPServerSpec = z.output<typeof mcpServerSpecSchema>;

/** The registry's `MCPServer`. */
export const mcpServerSchema = z.object({
  ...envelope,
  kind: z.literal("MCPServer"),
  spec: mcpServerSpecSchema,
});

/** A registry MCPServer. */
export type MCPServer = z.output<typeof mcpServerSchema>;
