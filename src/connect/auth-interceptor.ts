import type { Interceptor } from "@connectrpc/connect";
import type { GatewayAuth } from "./gateway-target.js";

/**
 * Adds the gateway's auth headers to every request. Bearer tokens are fetched per request so that a
 * refreshing token source can renew them shortly before they expire.
 */
export function authInterceptor(auth: GatewayAuth): Interceptor {
  return (next) => async (req) => {
    switch (auth.kind) {
      case "bearer":
        req.header.set("authorization", `Bearer ${await auth.source.token(req.signal)}`);
        break;
      case "edge":
        req.header.set("cf-access-jwt-assertion", auth.token);
        req.header.append("cookie", `CF_Authorization=${auth.token}`);
        break;
      case "none":
        break;
    }
    return next(req);
  };
}
