import { z } from "zod";
import { envelope, resourceRefSchema } from "./meta.js";

/** `Repository`: where a resource's source lives. */
export const repositorySchema = z.object({
  url: z.string().optional(),
  branch: z.string().optional(),
  commit: z.string().optional(),
  subfolder: z.string().optional(),
  credentialsRef: z.object({ name: z.string().min(1, "must not be empty") }).optional(),
});

/** A source repository reference. */
export type Repository = z.output<typeof repositorySchema>;

/** How an agent is reached: A2A (JSON-RPC, agent card) or plain HTTP. */
export const AGENT_PROTOCOLS = ["A2A", "HTTP"] as const;

/** The registry's `AgentSpec`. No port and no env: those come from the Deployment. */
export const agentSpecSchema = z.object({
  source: z
    .object({
      image: z.string().optional(),
      protocol: z.enum(AGENT_PROTOCOLS).optional(),
      repository: repositorySchema.optional(),
    })
    .optional(),
  /** @deprecated by the registry, still set by its tooling. */
  modelProvider: z.string().optional(),
  /** @deprecated by the registry, still set by its tooling. */
  modelName: z.string().optional(),
  mcpServers: z.array(resourceRefSchema).nullable().optional(),
  skills: z.array(resourceRefSchema).nullable().optional(),
  plugins: z.array(resourceRefSchema).nullable().optional(),
  instructions: resourceRefSchema.optional(),
  compatibleHarnesses: z
    .array(z.object({ type: z.string().min(1, "must not be empty") }))
    .nullable()
    .optional(),
  iconUrl: z.string().optional(),
});

/** What an Agent is. */
export type AgentSpec = z.output<typeof agentSpecSchema>;

/** The registry's `Agent`. */
export const agentSchema = z.object({
  ...envelope,
  kind: z.literal("Agent"),
  spec: agentSpecSchema,
});

/** A registry Agent. */
export type Agent = z.output<typeof agentSchema>;
