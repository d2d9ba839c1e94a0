import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { GatewayState } from "./gateway-state.js";

/** Credentials the gateway demands on every call but Health, as an OIDC or edge-auth gateway does. */
export interface GatewayAuth {
  /** Required `authorization: Bearer <bearer>`. */
  bearer?: string;
  /** Required `cf-access-jwt-assertion: <edge>`. */
  edge?: string;
}

/** Records every call's headers (before auth, so a refused call is inspectable too), then checks auth. */
export function authInterceptor(state: GatewayState, auth: GatewayAuth | undefined): Interceptor {
  return (next) => async (req) => {
    state.record(req.method.name, req.header);
    if (auth && req.method.name !== "Health") {
      if (auth.bearer !== undefined && req.header.get("authorization") !== `Bearer ${auth.bearer}`) {
        throw new ConnectError("missing or invalid bearer token", Code.Unauthenticated);
      }
      if (auth.edge !== undefined && req.header.get("cf-access-jwt-assertion") !== auth.edge) {
        throw new ConnectError(
          "missing or invalid edge token (cf-access-jwt-assertion)",
          Code.Unauthenticated,
        );
      }
    }
    return next(req);
  };
}
