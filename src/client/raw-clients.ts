import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { Inference } from "../gen/openshell/inference/v1/inference_pb.js";
import { OpenShell as OpenShellService } from "../gen/openshell/v1/openshell_pb.js";

/**
 * The generated Connect clients, for calls the curated API does not wrap. They share the client's
 * connection, auth and retries; errors are Connect's `ConnectError`, not the SDK's classes.
 */
export interface RawClients {
  openshell: Client<typeof OpenShellService>;
  inference: Client<typeof Inference>;
}

export function rawClients(transport: Transport): RawClients {
  return {
    openshell: createClient(OpenShellService, transport),
    inference: createClient(Inference, transport),
  };
}
