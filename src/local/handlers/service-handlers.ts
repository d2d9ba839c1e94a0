import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { OpenShell } from "../../gen/openshell/v1/openshell_pb.js";
import {
  type ServiceEndpointResponse,
  ServiceEndpointResponseSchema,
} from "../../gen/openshell/v1/services_pb.js";
import { notFound } from "../protocol/gateway-errors.js";
import { requiredField } from "../protocol/required-field.js";
import { checkWorkspaceScope, page, workspaceOf } from "../protocol/validation.js";
import type { ServiceListeners } from "../services/service-listeners.js";
import {
  checkServiceName,
  checkTargetPort,
  describeService,
  SERVICE_KIND,
  type ServiceRecord,
  serviceRecordName,
  serviceUrl,
} from "../services/service-records.js";
import type { StoredRecord } from "../state/record-store.js";
import type { LocalStateStore } from "../state/state-store.js";
import { requireActiveWorkspace, requireKnownWorkspace } from "../workspaces/workspace-records.js";

/** SEMANTICS §11: ListServices `limit` 0 means 100. */
const servicePaging = { defaultLimit: 100, maxLimit: 1000 };

/** What the service handlers need: the records, the sandboxes by name, the listeners. */
export interface ServiceHandlerDeps {
  store: LocalStateStore;
  sandboxes: { byName(name: string, workspace: string): { id: string; name: string; workspace: string } };
  listeners: ServiceListeners;
}

function toResponse(stored: StoredRecord<ServiceRecord>): ServiceEndpointResponse {
  const { record } = stored;
  return create(ServiceEndpointResponseSchema, {
    endpoint: {
      metadata: {
        id: record.id,
        name: record.service,
        workspace: stored.scope,
        createdAtMs: BigInt(stored.createdMs),
        resourceVersion: BigInt(stored.resourceVersion),
      },
      sandboxId: record.sandboxId,
      sandboxName: record.sandboxName,
      serviceName: record.service,
      targetPort: record.targetPort,
      // The gateway ignores `domain` (SEMANTICS §11).
      domain: false,
    },
    url: serviceUrl(record.listenPort),
  });
}

/**
 * ExposeService, GetService, ListServices and DeleteService as SEMANTICS §11 describes them. Local
 * mode has no HTTP front door routing `<workspace>--<sandbox>[--<service>].<domain>` host names, so
 * each endpoint gets a listener of its own on 127.0.0.1 and its URL is `http://127.0.0.1:<port>/`.
 */
export function serviceHandlers(deps: ServiceHandlerDeps): Partial<ServiceImpl<typeof OpenShell>> {
  const { store, sandboxes, listeners } = deps;
  const records = store.records;
  /** The endpoint if it exists and its sandbox still does; a stale record is dropped on sight. */
  const lookup = (workspace: string, sandbox: string, service: string) => {
    const name = serviceRecordName(sandbox, service);
    const stored = records.get<ServiceRecord>(SERVICE_KIND, workspace, name);
    if (stored === undefined) return undefined;
    if (listeners.alive(stored.record.sandboxId)) return stored;
    records.delete(SERVICE_KIND, workspace, name);
    return undefined;
  };

  return {
    async exposeService(req) {
      requiredField(req.sandbox, "sandbox");
      checkServiceName(req.service);
      checkTargetPort(req.targetPort);
      const workspace = workspaceOf(req.workspace);
      requireActiveWorkspace(records, workspace);
      // The sandbox must exist (NOT_FOUND); READY is not needed (requests meanwhile answer 412).
      const sandbox = sandboxes.byName(req.sandbox, workspace);
      const name = serviceRecordName(sandbox.name, req.service);
      const key = { workspace, name };
      // Upsert: exposing again changes the target port and keeps the endpoint (id, URL, creation).
      const existing = lookup(workspace, sandbox.name, req.service);
      const previous = existing?.record.sandboxId === sandbox.id ? existing.record : undefined;
      const listenPort = await listeners.open(key, sandbox.id, previous?.listenPort ?? 0);
      const record: ServiceRecord = {
        id: previous?.id ?? randomUUID(),
        sandboxId: sandbox.id,
        sandboxName: sandbox.name,
        service: req.service,
        targetPort: req.targetPort,
        listenPort,
      };
      try {
        // Checked again with the write, in one transaction: the listener opened meanwhile, and a
        // workspace delete in another process sharing the state directory may have begun.
        return toResponse(
          records.atomically(() => {
            requireActiveWorkspace(records, workspace);
            return records.put(SERVICE_KIND, workspace, name, record);
          }),
        );
      } catch (error) {
        if (previous === undefined) await listeners.close(key);
        throw error;
      }
    },

    getService(req) {
      const workspace = workspaceOf(req.workspace);
      const found = lookup(workspace, req.sandbox, req.service);
      if (found === undefined) {
        throw notFound(`${describeService(req.sandbox, req.service)} not found in workspace "${workspace}"`);
      }
      return toResponse(found);
    },

    listServices(req) {
      checkWorkspaceScope(req.workspace, req.allWorkspaces);
      if (!req.allWorkspaces) requireKnownWorkspace(records, workspaceOf(req.workspace));
      const stored = req.allWorkspaces
        ? records.list<ServiceRecord>(SERVICE_KIND)
        : records.list<ServiceRecord>(SERVICE_KIND, workspaceOf(req.workspace));
      const matching = stored
        .filter((s) => req.sandbox === "" || s.record.sandboxName === req.sandbox)
        .filter((s) => listeners.alive(s.record.sandboxId))
        .sort(
          (a, b) =>
            a.scope.localeCompare(b.scope) ||
            a.record.sandboxName.localeCompare(b.record.sandboxName) ||
            a.record.service.localeCompare(b.record.service),
        );
      return { services: page(matching, req.limit, req.offset, servicePaging).map(toResponse) };
    },

    async deleteService(req) {
      const workspace = workspaceOf(req.workspace);
      const found = lookup(workspace, req.sandbox, req.service);
      if (found === undefined) return { deleted: false };
      records.delete(SERVICE_KIND, workspace, found.name);
      await listeners.close({ workspace, name: found.name });
      return { deleted: true };
    },
  };
}
