import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Inference } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import { type GatewayState, workspaceOf } from "./gateway-state.js";

type Handlers = Partial<ServiceImpl<typeof Inference>>;

export const defaultRouteName = "inference.local";
const defaultTimeoutSecs = 60n;

/** Routes are per workspace; an empty route name is the default route sandboxes call. */
export function inferenceHandlers(state: GatewayState): Handlers {
  const routeKey = (routeName: string, workspace: string) =>
    `${workspaceOf(workspace)}/${routeName || defaultRouteName}`;

  return {
    async setInferenceRoute(req) {
      const workspace = workspaceOf(req.workspace);
      if (req.providerName === "") {
        throw new ConnectError("provider_name is required", Code.InvalidArgument);
      }
      if (req.modelId === "") throw new ConnectError("model_id is required", Code.InvalidArgument);
      if (!state.provider(req.providerName, workspace)) {
        throw new ConnectError(
          `provider "${req.providerName}" not found in workspace "${workspace}"`,
          Code.FailedPrecondition,
        );
      }
      const key = routeKey(req.routeName, workspace);
      const route = {
        providerName: req.providerName,
        modelId: req.modelId,
        routeName: req.routeName || defaultRouteName,
        timeoutSecs: req.timeoutSecs === 0n ? defaultTimeoutSecs : req.timeoutSecs,
        version: (state.routes.get(key)?.version ?? 0n) + 1n,
        workspace,
      };
      state.routes.set(key, route);
      // Verification would call the provider; the test gateway never leaves the host.
      return { ...route, validationPerformed: false, validatedEndpoints: [] };
    },

    async getInferenceRoute(req) {
      const route = state.routes.get(routeKey(req.routeName, req.workspace));
      if (!route) {
        throw new ConnectError(
          `no inference route "${req.routeName || defaultRouteName}" in workspace "${workspaceOf(req.workspace)}"`,
          Code.NotFound,
        );
      }
      return { ...route };
    },

    async deleteInferenceRoute(req) {
      return { deleted: state.routes.delete(routeKey(req.routeName, req.workspace)) };
    },
  };
}
