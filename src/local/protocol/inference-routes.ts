import type { ConnectError, ServiceImpl } from "@connectrpc/connect";
import type {
  GetInferenceRouteResponse,
  Inference,
  SetInferenceRouteRequest,
  SetInferenceRouteResponse,
} from "../../gen/openshell/inference/v1/inference_pb.js";
import { invalidArgument, notFound } from "./gateway-errors.js";
import { unknownProvider } from "./providers.js";
import { workspaceOf } from "./validation.js";

/** The route sandboxes call (`https://inference.local`) when a request names none. */
export const defaultRouteName = "inference.local";
export const defaultRouteTimeoutSecs = 60n;

/** A stored route: what GetInferenceRoute answers. */
export type InferenceRoute = Omit<GetInferenceRouteResponse, "$typeName" | "$unknown">;

/** Routes are per workspace; an empty route name is the default route. */
export function routeNameOf(routeName: string): string {
  return routeName === "" ? defaultRouteName : routeName;
}

/**
 * The route SetInferenceRoute stores, `previousVersion` being the version of the route it replaces
 * (0n for none). The caller checks that the provider exists in the workspace.
 */
export function newInferenceRoute(req: SetInferenceRouteRequest, previousVersion: bigint): InferenceRoute {
  if (req.providerName === "") throw invalidArgument("provider_name is required");
  if (req.modelId === "") throw invalidArgument("model_id is required");
  return {
    providerName: req.providerName,
    modelId: req.modelId,
    routeName: routeNameOf(req.routeName),
    timeoutSecs: req.timeoutSecs === 0n ? defaultRouteTimeoutSecs : req.timeoutSecs,
    version: previousVersion + 1n,
    workspace: workspaceOf(req.workspace),
  };
}

/**
 * SetInferenceRoute's answer. Verifying would call the provider's endpoint from the gateway; these
 * gateways never do, and say so with `validation_performed` false rather than claim a check.
 */
export function setRouteResponse(route: InferenceRoute): Omit<SetInferenceRouteResponse, "$typeName"> {
  return { ...route, validationPerformed: false, validatedEndpoints: [] };
}

export function routeNotFound(routeName: string, workspace: string): ConnectError {
  return notFound(`no inference route "${routeNameOf(routeName)}" in workspace "${workspaceOf(workspace)}"`);
}

/** Where a gateway keeps its routes, by workspace and route name (both already defaulted). */
export interface RouteRepository {
  get(workspace: string, routeName: string): InferenceRoute | undefined;
  put(route: InferenceRoute): void;
  delete(workspace: string, routeName: string): boolean;
}

/**
 * The Inference service (SEMANTICS.md §7) over any storage. A route names its provider, which must
 * exist in the route's workspace (`hasProvider`); the provider's credentials stay in the provider
 * and never reach the route or a response.
 */
export function inferenceService(
  routes: RouteRepository,
  hasProvider: (name: string, workspace: string) => boolean,
): Partial<ServiceImpl<typeof Inference>> {
  const find = (routeName: string, workspace: string) =>
    routes.get(workspaceOf(workspace), routeNameOf(routeName));
  return {
    async setInferenceRoute(req) {
      const route = newInferenceRoute(req, find(req.routeName, req.workspace)?.version ?? 0n);
      if (!hasProvider(route.providerName, route.workspace)) {
        throw unknownProvider(route.providerName, route.workspace);
      }
      routes.put(route);
      return setRouteResponse(route);
    },

    async getInferenceRoute(req) {
      const route = find(req.routeName, req.workspace);
      if (!route) throw routeNotFound(req.routeName, req.workspace);
      return route;
    },

    async deleteInferenceRoute(req) {
      return { deleted: routes.delete(workspaceOf(req.workspace), routeNameOf(req.routeName)) };
    },
  };
}
