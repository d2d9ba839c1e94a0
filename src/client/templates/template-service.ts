import type { JsonObject } from "@bufbuild/protobuf";
import { validate } from "../../validation/validate.js";
import { allPages } from "../internal/all-pages.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { workspaceSchema } from "../validation/common-schemas.js";
import { type TemplateInfo, toTemplateInfo } from "./template-info.js";
import {
  type CreateTemplateInput,
  createTemplateSchema,
  type ListTemplatesOptions,
  listTemplatesSchema,
  templateNameSchema,
} from "./template-options.js";

/**
 * `os.templates`: named, workspace-scoped sandbox workloads (image, environment, resources, driver
 * settings). A sandbox created with `sandboxes.create({ template })` takes all of these from the
 * template; the request may add only a policy and providers.
 *
 * ```ts
 * await os.templates.create({ name: "py", image: "python:3.12", resources: { cpu: "1", memory: "1Gi" } });
 * const sb = await os.sandboxes.create({ template: "py", providers: ["github"] });
 * console.log(sb.info.template); // { name: "py", resourceVersion: "1" }
 * ```
 */
export class TemplateService {
  /** @internal */
  constructor(private readonly calls: GatewayCalls) {}

  /**
   * Stores a new template.
   * @throws AlreadyExistsError when the workspace already has a template of that name.
   * @throws ResourceExhaustedError when the workspace holds the maximum (1000) of templates.
   * @throws InvalidArgumentError for a bad input (its `field` names it).
   */
  async create(input: CreateTemplateInput, options?: RequestOptions): Promise<TemplateInfo> {
    const t = validate(createTemplateSchema, input, "template");
    const workspace = this.calls.ws(t);
    const within = t.startup?.readyWithinMs;
    const res = await this.calls.unary(`create template "${t.name}"`, options, (o) =>
      this.calls.openshell.createSandboxTemplate(
        {
          workspace,
          template: {
            metadata: { name: t.name, workspace, labels: t.labels ?? {} },
            spec: {
              workload: {
                image: t.image ?? "",
                environment: t.env ?? {},
                resources:
                  t.resources || t.gpus !== undefined
                    ? {
                        cpu: t.resources?.cpu ?? "",
                        memory: t.resources?.memory ?? "",
                        gpu: t.gpus !== undefined ? { count: t.gpus } : undefined,
                      }
                    : undefined,
              },
              driverConfig: t.driverConfig as JsonObject | undefined,
              desiredServiceLevel: t.startup && {
                startup: {
                  maxBurst: t.startup.maxBurst ?? 0,
                  readyWithin:
                    within === undefined
                      ? undefined
                      : { seconds: BigInt(Math.floor(within / 1000)), nanos: (within % 1000) * 1e6 },
                },
              },
            },
          },
        },
        o,
      ),
    );
    return toTemplateInfo(res.template, "CreateSandboxTemplate");
  }

  /**
   * The template `name`.
   * @throws NotFoundError when there is no such template.
   */
  async get(name: string, options?: WorkspaceOptions & RequestOptions): Promise<TemplateInfo> {
    const req = this.key(name, options);
    const res = await this.calls.unary(`get template "${req.name}"`, options, (o) =>
      this.calls.openshell.getSandboxTemplate(req, o),
    );
    return toTemplateInfo(res.template, "GetSandboxTemplate");
  }

  /** One page of the workspace's templates (or of every workspace's). Use {@link listAll} to walk every page. */
  async list(options: ListTemplatesOptions = {}): Promise<TemplateInfo[]> {
    const o = validate(listTemplatesSchema, options, "list options");
    const labelSelector = Object.entries(o.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const res = await this.calls.unary("list templates", options, (co) =>
      this.calls.openshell.listSandboxTemplates(
        {
          limit: o.limit ?? 0,
          offset: o.offset ?? 0,
          workspace: o.allWorkspaces ? "" : this.calls.ws(o),
          allWorkspaces: o.allWorkspaces ?? false,
          labelSelector,
        },
        co,
      ),
    );
    return res.templates.map((t) => toTemplateInfo(t, "ListSandboxTemplates"));
  }

  /** Every matching template, fetching pages of `limit` (default 100) as you iterate. */
  listAll(options: Omit<ListTemplatesOptions, "offset"> = {}): AsyncGenerator<TemplateInfo, void, undefined> {
    return allPages((o) => this.list(o), options);
  }

  /**
   * Deletes a template. Resolves `false` when it did not exist. Sandboxes created from it keep
   * running with the snapshot they were created with.
   */
  async delete(name: string, options?: WorkspaceOptions & RequestOptions): Promise<boolean> {
    const req = this.key(name, options);
    const res = await this.calls.unary(`delete template "${req.name}"`, options, (o) =>
      this.calls.openshell.deleteSandboxTemplate(req, o),
    );
    return res.deleted;
  }

  private key(name: string, options?: WorkspaceOptions) {
    return {
      name: validate(templateNameSchema, name, "name", { field: "name" }),
      workspace: this.calls.ws({ workspace: validate(workspaceSchema, options?.workspace, "workspace") }),
    };
  }
}
