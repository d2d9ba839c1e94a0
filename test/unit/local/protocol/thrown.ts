import { Code, ConnectError } from "@connectrpc/connect";

/** The gRPC code name and message `run` throws with; undefined when it returns. */
export function thrown(run: () => unknown): { code: string; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code], message: e.rawMessage };
  }
}

/** The gRPC code name `run` throws with, "OK" when it returns. */
export function codeOf(run: () => unknown): string {
  return thrown(run)?.code ?? "OK";
}
