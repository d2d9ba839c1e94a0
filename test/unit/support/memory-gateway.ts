import { type ConnectRouter, createClient, createRouterTransport } from "@connectrpc/connect";
import { GatewayCalls } from "../../../src/client/internal/gateway-calls.js";
import { Inference } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";

/**
 * GatewayCalls over connect-es's in-memory transport: the test registers only the handlers it needs,
 * and every other call answers UNIMPLEMENTED, so an unexpected call fails the test loudly.
 */
export function memoryCalls(routes: (router: ConnectRouter) => void, workspace = "default"): GatewayCalls {
  const transport = createRouterTransport(routes);
  return new GatewayCalls(
    createClient(OpenShell, transport),
    createClient(Inference, transport),
    {
      transport,
      connect: async () => "open",
      isConnected: () => true,
      connectionError: () => undefined,
      close() {},
    },
    workspace,
    { callTimeoutMs: 5000, handshakeTimeoutMs: 5000, idleTimeoutMs: 5000 },
    "memory://test",
  );
}
