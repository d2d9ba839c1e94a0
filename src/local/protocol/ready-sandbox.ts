import { Code, ConnectError } from "@connectrpc/connect";
import { SandboxPhase } from "../../gen/openshell/v1/openshell_pb.js";

/**
 * Exec and forwarding reach into a running sandbox, so they need it READY.
 *
 * @returns `sandbox`, for chaining after a lookup.
 * @throws ConnectError FAILED_PRECONDITION "sandbox is not ready", the gateway's words (SEMANTICS.md
 *   section 4), which clients match on.
 */
export function requireReady<S extends { phase: SandboxPhase }>(sandbox: S): S {
  if (sandbox.phase !== SandboxPhase.READY) {
    throw new ConnectError("sandbox is not ready", Code.FailedPrecondition);
  }
  return sandbox;
}
