import { Code, ConnectError } from "@connectrpc/connect";

/**
 * How a raw gateway call failed, as a test asserts it: the gRPC code's name and the gateway's own
 * words (`rawMessage`, without the code prefix); "succeeded" when it did not fail, so an equality
 * assertion shows what happened instead.
 */
export async function callFailure(
  call: Promise<unknown>,
): Promise<{ code: string; message: string } | "succeeded"> {
  try {
    await call;
    return "succeeded";
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code], message: e.rawMessage };
  }
}
