import { validate } from "../../validation/validate.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";
import type { RequestOptions, WorkspaceOptions } from "../request-options.js";
import { workspaceSchema } from "../validation/common-schemas.js";
import { routeNameSchema, type SetInferenceRouteInput, setRouteSchema } from "./inference-options.js";
import { defaultRouteName, type InferenceRoute, toInferenceRoute } from "./inference-route.js";

/**
 * `os.inference`: which provider and model answer agents' calls to `https://inference.local`.
 * The gateway forwards those calls with the provider's credentials, which never enter a sandbox.
 * Routes are per workspace.
 *
 * ```ts
 * await os.providers.create({ name: "openai", type: "openai", credentials: { OPENAI_API_KEY: key } });
 * await os.inference.setRoute({ provider: "openai", model: "gpt-4o-mini" });
 * ```
 */
export class InferenceService {
  /** @internal */
  constructor(private readonly calls: GatewayCalls) {}

  /**
   * Creates or replaces a route. `routeName` omitted or `""` sets the default route,
   * `"inference.local"`.
   * @throws InvalidArgumentError for a bad input, or when verification fails.
   * @throws NotFoundError / FailedPreconditionError when the provider is missing or cannot serve inference.
   */
  async setRoute(input: SetInferenceRouteInput, options?: RequestOptions): Promise<InferenceRoute> {
    const r = validate(setRouteSchema, input, "inference route");
    const workspace = this.calls.ws(r);
    const routeName = r.routeName ?? "";
    const res = await this.calls.unary(
      `set inference route "${routeName || defaultRouteName}"`,
      options,
      (o) =>
        this.calls.inference.setInferenceRoute(
          {
            providerName: r.provider,
            modelId: r.model,
            routeName,
            // Two flags on the wire so that "unset" can mean the gateway's default.
            verify: r.verify === true,
            noVerify: r.verify === false,
            timeoutSecs: BigInt(r.timeoutSecs ?? 0),
            workspace,
          },
          o,
        ),
    );
    return toInferenceRoute(res, { routeName, workspace });
  }

  /**
   * The route named `routeName`; omitted or `""` means the default route, `"inference.local"`.
   * @throws NotFoundError when the route is not set.
   */
  async getRoute(routeName?: string, options?: WorkspaceOptions & RequestOptions): Promise<InferenceRoute> {
    const name = this.checkRouteName(routeName);
    const workspace = this.checkWorkspace(options);
    const res = await this.calls.unary(`get inference route "${name || defaultRouteName}"`, options, (o) =>
      this.calls.inference.getInferenceRoute({ routeName: name, workspace }, o),
    );
    return toInferenceRoute(res, { routeName: name, workspace });
  }

  /**
   * Removes a route; omitted or `""` means the default route, `"inference.local"`. Resolves `false`
   * when it was not set.
   */
  async deleteRoute(routeName?: string, options?: WorkspaceOptions & RequestOptions): Promise<boolean> {
    const name = this.checkRouteName(routeName);
    const workspace = this.checkWorkspace(options);
    const res = await this.calls.unary(`delete inference route "${name || defaultRouteName}"`, options, (o) =>
      this.calls.inference.deleteInferenceRoute({ routeName: name, workspace }, o),
    );
    return res.deleted;
  }

  private checkRouteName(routeName: string | undefined): string {
    return validate(routeNameSchema, routeName, "routeName") ?? "";
  }

  private checkWorkspace(options?: WorkspaceOptions): string {
    return this.calls.ws({ workspace: validate(workspaceSchema, options?.workspace, "workspace") });
  }
}
