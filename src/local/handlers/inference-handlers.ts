import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  GetInferenceRouteResponseSchema,
  type Inference,
} from "../../gen/openshell/inference/v1/inference_pb.js";
import { type InferenceRoute, inferenceService, type RouteRepository } from "../protocol/inference-routes.js";
import type { LocalStateStore } from "../state/state-store.js";
import { requireActiveWorkspace } from "../workspaces/workspace-records.js";
import type { LocalHandlerDeps } from "./provider-handlers.js";

/** Routes in the state store as GetInferenceRouteResponse JSON (64-bit fields as strings). */
export function storedRoutes(store: LocalStateStore): RouteRepository {
  return {
    get(workspace, routeName) {
      const record = store.getRoute<JsonValue>(workspace, routeName);
      if (record === undefined) return undefined;
      const { $typeName: _, ...route } = fromJson(GetInferenceRouteResponseSchema, record);
      return route;
    },
    put(route: InferenceRoute) {
      const record = toJson(GetInferenceRouteResponseSchema, create(GetInferenceRouteResponseSchema, route));
      store.putRoute(route.workspace, route.routeName, record);
    },
    delete: (workspace, routeName) => store.deleteRoute(workspace, routeName),
  };
}

/**
 * Set, Get and DeleteInferenceRoute of the local gateway (see `inferenceService`), per workspace in
 * its state store. `verify` contacts nothing: the answer says no validation was performed. Setting a
 * route is a workspace-scoped create: the workspace must exist and not be being deleted.
 */
export function inferenceHandlers({
  store,
}: Pick<LocalHandlerDeps, "store">): Partial<ServiceImpl<typeof Inference>> {
  const routes = storedRoutes(store);
  return inferenceService(
    {
      ...routes,
      // The check and the write are one transaction: a workspace deleted meanwhile gets no route.
      put: (route) =>
        store.records.atomically(() => {
          requireActiveWorkspace(store.records, route.workspace);
          routes.put(route);
        }),
    },
    // SetInferenceRoute's first check: an unknown workspace is named as such, not as a provider
    // missing from it.
    (name, workspace) => {
      requireActiveWorkspace(store.records, workspace);
      return store.getProvider(workspace, name) !== undefined;
    },
  );
}
