import type { TokenSource } from "../gateway-target.js";

/**
 * A token that never changes, such as one passed as option `token`. The value lives only in the
 * closure, so printing or serialising the source cannot reveal it.
 */
export function staticTokenSource(token: string): TokenSource {
  return { token: async () => token };
}
