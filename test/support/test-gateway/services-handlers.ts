import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  type ServiceEndpoint,
  type ServiceEndpointResponse,
  ServiceEndpointResponseSchema,
  ServiceEndpointSchema,
} from "../../../src/gen/openshell/v1/services_pb.js";
import { invalid, page, workspaceOf } from "../../../src/local/protocol/validation.js";
import type { GatewayState } from "./gateway-state.js";

/** SEMANTICS §11: ListServices `limit` 0 means 100. */
const servicePaging = { defaultLimit: 100, maxLimit: 1000 };
const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The service endpoints of one test gateway, and what the workspace handlers ask of them. */
export interface ServiceEndpoints {
  handlers: Partial<ServiceImpl<typeof OpenShell>>;
  /** How many live endpoints a workspace holds (a workspace delete refuses while any remain). */
  countIn(workspace: string): number;
}

function checkServiceName(name: string): void {
  if (name === "") return;
  if (name.length > 19 || !dnsLabel.test(name) || name.includes("--")) {
    throw invalid(`service name "${name}" must be a DNS label of at most 19 characters without "--"`);
  }
}

/**
 * ExposeService, GetService, ListServices and DeleteService as SEMANTICS §11 describes them, over the
 * test gateway's sandboxes. The URL is the one a loopback gateway without a wildcard certificate
 * gives: `http://<workspace>--<sandbox>[--<service>].openshell.localhost:<gateway port>/`.
 */
export function serviceHandlers(state: GatewayState, endpoint: () => URL): ServiceEndpoints {
  const endpoints = new Map<string, ServiceEndpoint>();
  const key = (workspace: string, sandbox: string, service: string) => `${workspace}/${sandbox}/${service}`;
  // Endpoints die with their sandbox: one whose sandbox is gone no longer exists.
  const alive = (e: ServiceEndpoint) => state.sandboxes.has(e.sandboxId);
  const lookup = (workspace: string, sandbox: string, service: string) => {
    const found = endpoints.get(key(workspaceOf(workspace), sandbox, service));
    return found && alive(found) ? found : undefined;
  };
  const answer = (e: ServiceEndpoint): ServiceEndpointResponse => {
    const ws = e.metadata?.workspace ?? "default";
    const host = [ws, e.sandboxName, ...(e.serviceName ? [e.serviceName] : [])].join("--");
    return create(ServiceEndpointResponseSchema, {
      endpoint: e,
      url: `http://${host}.openshell.localhost:${endpoint().port}/`,
    });
  };
  const describe = (sandbox: string, service: string) =>
    service === ""
      ? `unnamed service of sandbox "${sandbox}"`
      : `service "${service}" of sandbox "${sandbox}"`;

  const handlers: Partial<ServiceImpl<typeof OpenShell>> = {
    exposeService(req) {
      checkServiceName(req.service);
      if (req.targetPort < 1 || req.targetPort > 65_535) {
        throw invalid(`target_port ${req.targetPort} must be 1 to 65535`);
      }
      const sandbox = state.sandboxByName(req.sandbox, req.workspace);
      const k = key(sandbox.workspace, sandbox.name, req.service);
      const previous = endpoints.get(k);
      const kept = previous && alive(previous) ? previous : undefined;
      const e = create(ServiceEndpointSchema, {
        metadata: {
          id: kept?.metadata?.id ?? randomUUID(),
          name: req.service,
          workspace: sandbox.workspace,
          createdAtMs: kept?.metadata?.createdAtMs ?? BigInt(Date.now()),
          resourceVersion: (kept?.metadata?.resourceVersion ?? 0n) + 1n,
        },
        sandboxId: sandbox.id,
        sandboxName: sandbox.name,
        serviceName: req.service,
        targetPort: req.targetPort,
        // The gateway ignores `domain` (SEMANTICS §11).
        domain: false,
      });
      endpoints.set(k, e);
      return answer(e);
    },
    getService(req) {
      const found = lookup(req.workspace, req.sandbox, req.service);
      if (!found) {
        throw new ConnectError(
          `${describe(req.sandbox, req.service)} not found in workspace "${workspaceOf(req.workspace)}"`,
          Code.NotFound,
        );
      }
      return answer(found);
    },
    listServices(req) {
      if (req.workspace !== "" && req.allWorkspaces) {
        throw invalid("workspace and all_workspaces cannot both be set");
      }
      const ws = workspaceOf(req.workspace);
      const matching = [...endpoints.values()]
        .filter(alive)
        .filter((e) => req.allWorkspaces || e.metadata?.workspace === ws)
        .filter((e) => req.sandbox === "" || e.sandboxName === req.sandbox)
        .sort((a, b) =>
          key(a.metadata?.workspace ?? "", a.sandboxName, a.serviceName).localeCompare(
            key(b.metadata?.workspace ?? "", b.sandboxName, b.serviceName),
          ),
        );
      return { services: page(matching, req.limit, req.offset, servicePaging).map(answer) };
    },
    deleteService(req) {
      const found = lookup(req.workspace, req.sandbox, req.service);
      if (found) endpoints.delete(key(workspaceOf(req.workspace), req.sandbox, req.service));
      return { deleted: found !== undefined };
    },
  };
  return {
    handlers,
    countIn: (workspace) =>
      [...endpoints.values()].filter((e) => alive(e) && e.metadata?.workspace === workspace).length,
  };
}
