import type { ServiceImpl } from "@connectrpc/connect";
import type { Inference } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import { inferenceService } from "../../../src/local/protocol/inference-routes.js";
import type { GatewayState } from "./gateway-state.js";

/** Routes in `state.routes`, keyed by `workspace/route_name`. */
export function inferenceHandlers(state: GatewayState): Partial<ServiceImpl<typeof Inference>> {
  const key = (workspace: string, routeName: string) => `${workspace}/${routeName}`;
  return inferenceService(
    {
      get: (workspace, routeName) => state.routes.get(key(workspace, routeName)),
      put: (route) => state.routes.set(key(route.workspace, route.routeName), { ...route }),
      delete: (workspace, routeName) => state.routes.delete(key(workspace, routeName)),
    },
    (name, workspace) => state.provider(name, workspace) !== undefined,
  );
}
