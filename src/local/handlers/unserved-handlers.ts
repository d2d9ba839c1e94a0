import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { localModeUnservedMessage } from "../protocol/local-mode-hints.js";

/**
 * A service implementation in which every method the local gateway does not serve answers
 * UNIMPLEMENTED with a message saying what to use instead. Without this, connect answers such a
 * method with its generic "is not implemented", which reads like a bug in the gateway rather than
 * a feature local mode lacks.
 *
 * The error is thrown when the method is called, before any request message is read, the same
 * way for all four method kinds (connect turns it into the call's status).
 */
export function withUnservedAnswers<S extends DescService>(
  service: S,
  served: Partial<ServiceImpl<S>>,
): Partial<ServiceImpl<S>> {
  const impl: Record<string, unknown> = { ...served };
  for (const method of service.methods) {
    if (typeof impl[method.localName] === "function") continue;
    const message = localModeUnservedMessage(`${service.typeName}/${method.name}`);
    impl[method.localName] = function unserved(): never {
      throw new ConnectError(message, Code.Unimplemented);
    };
  }
  return impl as Partial<ServiceImpl<S>>;
}
