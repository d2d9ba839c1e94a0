import { validate } from "../../validation/validate.js";
import { allPages } from "../internal/all-pages.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { sandboxNameSchema, workspaceSchema } from "../validation/common-schemas.js";
import { type ServiceEndpointInfo, toServiceEndpointInfo } from "./service-info.js";
import {
  type ExposeServiceInput,
  exposeServiceSchema,
  type ListServicesOptions,
  listServicesSchema,
  serviceNameSchema,
} from "./service-options.js";

/**
 * `os.services`: sandbox HTTP ports the gateway publishes to browsers. Each endpoint gets a URL on
 * the gateway that routes HTTP and WebSocket traffic to a port inside the sandbox; endpoints go away
 * with their sandbox.
 *
 * ```ts
 * const web = await os.services.expose({ sandbox: "my-sandbox", port: 8080, name: "web" });
 * console.log(web.url); // http://default--my-sandbox--web.openshell.localhost:8080/
 * ```
 */
export class ServiceEndpointService {
  /** @internal */
  constructor(private readonly calls: GatewayCalls) {}

  /**
   * Publishes a sandbox port, or changes the port of an existing endpoint of that name.
   * @throws NotFoundError when the sandbox does not exist.
   * @throws InvalidArgumentError for a bad input (its `field` names it).
   */
  async expose(input: ExposeServiceInput, options?: RequestOptions): Promise<ServiceEndpointInfo> {
    const s = validate(exposeServiceSchema, input, "service");
    const service = s.name ?? "";
    const res = await this.calls.unary(`expose ${describe(s.sandbox, service)}`, options, (o) =>
      this.calls.openshell.exposeService(
        { sandbox: s.sandbox, service, targetPort: s.port, workspace: this.calls.ws(s) },
        o,
      ),
    );
    return toServiceEndpointInfo(res, "ExposeService");
  }

  /**
   * The endpoint `name` of a sandbox; `""` is the sandbox's unnamed service.
   * @throws NotFoundError when there is no such endpoint.
   */
  async get(
    sandbox: string,
    name: string,
    options?: WorkspaceOptions & RequestOptions,
  ): Promise<ServiceEndpointInfo> {
    const req = this.key(sandbox, name, options);
    const res = await this.calls.unary(`get ${describe(req.sandbox, req.service)}`, options, (o) =>
      this.calls.openshell.getService(req, o),
    );
    return toServiceEndpointInfo(res, "GetService");
  }

  /**
   * One page of endpoints of the workspace (or of one sandbox, or of every workspace). Use
   * {@link listAll} to walk every page.
   */
  async list(options: ListServicesOptions = {}): Promise<ServiceEndpointInfo[]> {
    const o = validate(listServicesSchema, options, "list options");
    const res = await this.calls.unary("list services", options, (co) =>
      this.calls.openshell.listServices(
        {
          sandbox: o.sandbox ?? "",
          limit: o.limit ?? 0,
          offset: o.offset ?? 0,
          workspace: o.allWorkspaces ? "" : this.calls.ws(o),
          allWorkspaces: o.allWorkspaces ?? false,
        },
        co,
      ),
    );
    return res.services.map((s) => toServiceEndpointInfo(s, "ListServices"));
  }

  /** Every matching endpoint, fetching pages of `limit` (default 100) as you iterate. */
  listAll(
    options: Omit<ListServicesOptions, "offset"> = {},
  ): AsyncGenerator<ServiceEndpointInfo, void, undefined> {
    return allPages((o) => this.list(o), options);
  }

  /** Stops publishing an endpoint. Resolves `false` when it did not exist. */
  async delete(sandbox: string, name: string, options?: WorkspaceOptions & RequestOptions): Promise<boolean> {
    const req = this.key(sandbox, name, options);
    const res = await this.calls.unary(`delete ${describe(req.sandbox, req.service)}`, options, (o) =>
      this.calls.openshell.deleteService(req, o),
    );
    return res.deleted;
  }

  private key(sandbox: string, name: string, options?: WorkspaceOptions) {
    return {
      sandbox: validate(sandboxNameSchema, sandbox, "sandbox", { field: "sandbox" }),
      service: validate(serviceNameSchema, name, "name", { field: "name" }),
      workspace: this.calls.ws({ workspace: validate(workspaceSchema, options?.workspace, "workspace") }),
    };
  }
}

function describe(sandbox: string, service: string): string {
  return service === ""
    ? `the unnamed service of sandbox "${sandbox}"`
    : `service "${service}" of sandbox "${sandbox}"`;
}
