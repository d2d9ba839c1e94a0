import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { SetInferenceRouteRequestSchema } from "../../../../src/gen/openshell/inference/v1/inference_pb.js";
import {
  newInferenceRoute,
  routeNameOf,
  routeNotFound,
  setRouteResponse,
} from "../../../../src/local/protocol/inference-routes.js";

const req = (init: Parameters<typeof create<typeof SetInferenceRouteRequestSchema>>[1]) =>
  create(SetInferenceRouteRequestSchema, init);

describe("inference routes", () => {
  it("defaults the route name, timeout and workspace, and counts versions", () => {
    expect(routeNameOf("")).toBe("inference.local");
    expect(routeNameOf("sandbox-system")).toBe("sandbox-system");
    expect(newInferenceRoute(req({ providerName: "p", modelId: "m" }), 0n)).toEqual({
      providerName: "p",
      modelId: "m",
      routeName: "inference.local",
      timeoutSecs: 60n,
      version: 1n,
      workspace: "default",
    });
    const replaced = newInferenceRoute(
      req({ providerName: "p", modelId: "m", timeoutSecs: 5n, workspace: "w" }),
      3n,
    );
    expect(replaced).toMatchObject({ timeoutSecs: 5n, version: 4n, workspace: "w" });
  });

  it("needs a provider and a model, and never claims a verification it did not do", () => {
    for (const bad of [req({ modelId: "m" }), req({ providerName: "p" })]) {
      expect(() => newInferenceRoute(bad, 0n)).toThrow(ConnectError);
    }
    const route = newInferenceRoute(req({ providerName: "p", modelId: "m", verify: true }), 0n);
    expect(setRouteResponse(route)).toMatchObject({ validationPerformed: false, validatedEndpoints: [] });
    const missing = routeNotFound("", "");
    expect(missing.code).toBe(Code.NotFound);
    expect(missing.rawMessage).toBe('no inference route "inference.local" in workspace "default"');
  });
});
