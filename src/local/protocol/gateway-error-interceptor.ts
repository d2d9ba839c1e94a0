import type { Interceptor } from "@connectrpc/connect";
import { toConnectError } from "./gateway-errors.js";

async function* mapStreamErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw toConnectError(error);
  }
}

/**
 * Handlers may throw the SDK's own errors (from the state store, the runtime, validation); this turns
 * each into the status code the real gateway answers with, for unary calls and mid-stream alike.
 */
export function gatewayErrorInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: mapStreamErrors(res.message) } : res;
    } catch (error) {
      throw toConnectError(error);
    }
  };
}
