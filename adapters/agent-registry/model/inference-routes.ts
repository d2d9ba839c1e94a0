import { NotFoundError, type OpenShell, ProtocolError } from "openshell";
import type { InferenceRouteInfo } from "./plan-model-access.js";

/** What {@link readInferenceRoutes} needs of a client. */
export type InferenceReader = Pick<OpenShell, "inference" | "providers">;

/**
 * The gateway's default inference route (`inference.local`), with its provider's type, for
 * `planModelAccess`'s `inferenceRoutes`: empty when the workspace has no route, when the
 * route's provider is gone, or when the gateway has no inference service (UNIMPLEMENTED). Agents
 * in a sandbox reach only the default route, so that is the one read. Other errors (unreachable
 * gateway, permission denied) are thrown as they are.
 */
export async function readInferenceRoutes(
  client: InferenceReader,
  options: { signal?: AbortSignal; workspace?: string } = {},
): Promise<InferenceRouteInfo[]> {
  const request = {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
  };
  try {
    const route = await client.inference.getRoute(undefined, request);
    const provider = await client.providers.get(route.provider, request);
    return [
      {
        routeName: route.routeName,
        provider: route.provider,
        providerType: provider.type,
        model: route.model,
      },
    ];
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    if (error instanceof ProtocolError && error.grpcCode === "UNIMPLEMENTED") return [];
    throw error;
  }
}
