import { z } from "zod";
import { deploymentSchema } from "../resources/deployment.js";

/**
 * The registry's `ListOutputDeploymentBody`: a page of deployments and, when there are more, the
 * cursor of the next page. `items` may be `null` on the wire (a Go nil slice).
 */
export const deploymentPageSchema = z.object({
  items: z.array(deploymentSchema).nullable(),
  nextCursor: z.string().optional(),
});

/**
 * One line of `GET /v0/deployments/{name}/logs` (the registry's `deploymentLogLine`; the route is
 * not in its OpenAPI document). `timestamp` (RFC 3339) and `stream` are omitted when empty.
 */
export const registryLogLineSchema = z.object({
  timestamp: z.string().optional(),
  stream: z.string().optional(),
  line: z.string(),
});

/** One line of a deployment's logs as the registry relays it from the runtime's adapter. */
export type RegistryLogLine = z.output<typeof registryLogLineSchema>;

/** The logs route's body: `{ lines: [...] }`. */
export const deploymentLogsSchema = z.object({ lines: z.array(registryLogLineSchema).nullable() });
