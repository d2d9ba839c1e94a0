import { ProtocolError } from "../../errors.js";
import type { ServiceEndpointResponse } from "../../gen/openshell/v1/services_pb.js";

/**
 * A sandbox port the gateway publishes to browsers, as the gateway reports it.
 *
 * The gateway routes HTTP and WebSocket traffic for {@link ServiceEndpointInfo.url} to
 * `127.0.0.1:<port>` inside the sandbox, for as long as the sandbox exists.
 */
export interface ServiceEndpointInfo {
  /** The gateway's id of the endpoint. */
  id: string;
  /** The service name; `""` for the sandbox's unnamed service. */
  name: string;
  /** Name of the sandbox the endpoint routes to. */
  sandboxName: string;
  /** Id of the sandbox the endpoint routes to. */
  sandboxId: string;
  workspace: string;
  /** The port inside the sandbox that receives the traffic. */
  port: number;
  /**
   * Where a browser reaches the service:
   * `http(s)://<workspace>--<sandbox>[--<service>].<domain>:<gateway port>/`. The host resolves only
   * where the gateway's domain does (`*.openshell.localhost` resolves to loopback in browsers); behind
   * a port-forward, put your local port in place of the gateway's.
   *
   * In local mode (`OpenShell.local()`) it is `http://127.0.0.1:<port>/` instead: a listener the
   * local gateway opens on this machine's loopback for this endpoint alone, so it is reachable from
   * this machine only, and only while the gateway runs (a restart reopens it on the same port when
   * that is still free, else on another: read the URL again).
   */
  url: string;
  /** Optimistic-concurrency version (a uint64, kept exact). */
  resourceVersion: bigint;
  createdAt: Date;
}

/** Curates a ServiceEndpointResponse; `rpc` names the call in the error for a missing endpoint. */
export function toServiceEndpointInfo(
  message: ServiceEndpointResponse | undefined,
  rpc: string,
): ServiceEndpointInfo {
  const endpoint = message?.endpoint;
  if (!message || !endpoint)
    throw new ProtocolError(`${rpc}: the gateway answered without a service endpoint`);
  const meta = endpoint.metadata;
  return {
    id: meta?.id ?? "",
    name: endpoint.serviceName,
    sandboxName: endpoint.sandboxName,
    sandboxId: endpoint.sandboxId,
    workspace: meta?.workspace || "default",
    port: endpoint.targetPort,
    url: message.url,
    resourceVersion: meta?.resourceVersion ?? 0n,
    createdAt: new Date(Number(meta?.createdAtMs ?? 0n)),
  };
}
