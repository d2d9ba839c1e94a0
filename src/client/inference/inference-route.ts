import type {
  GetInferenceRouteResponse,
  SetInferenceRouteResponse,
} from "../../gen/openshell/inference/v1/inference_pb.js";

/** The route sandboxes reach at `https://inference.local` when no route name is given. */
export const defaultRouteName = "inference.local";

/** An endpoint the gateway checked while setting a route. */
export interface ValidatedEndpoint {
  url: string;
  /** The API protocol it answered with (`"openai"`, ...). */
  protocol: string;
}

/** Which provider and model serve an inference route. */
export interface InferenceRoute {
  /** The route's name; `"inference.local"` for the default route. */
  routeName: string;
  /** Name of the provider whose credentials the gateway uses. */
  provider: string;
  /** Model id sent to the provider. */
  model: string;
  /** Increases with every change of the route (a uint64, kept exact). */
  version: bigint;
  /** Upstream request timeout in seconds. */
  timeoutSecs: number;
  workspace: string;
  /**
   * Endpoints the gateway verified when the route was set; empty when it did not verify, and always
   * empty from `getRoute()`, which does not report them.
   */
  validatedEndpoints: ValidatedEndpoint[];
}

/** Curates a Set- or GetInferenceRouteResponse. */
export function toInferenceRoute(
  res: SetInferenceRouteResponse | GetInferenceRouteResponse,
  requested: { routeName: string; workspace: string },
): InferenceRoute {
  const endpoints = "validatedEndpoints" in res ? res.validatedEndpoints : [];
  return {
    routeName: res.routeName || requested.routeName || defaultRouteName,
    provider: res.providerName,
    model: res.modelId,
    version: res.version,
    // Seconds fit a number exactly; a bigint here would only burden callers.
    timeoutSecs: Number(res.timeoutSecs),
    workspace: res.workspace || requested.workspace,
    validatedEndpoints: endpoints.map((e) => ({ url: e.url, protocol: e.protocol })),
  };
}
