import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { InferenceService } from "../../../../src/client/inference/inference-service.js";
import { InvalidArgumentError, NotFoundError, type OpenShellError } from "../../../../src/errors.js";
import {
  Inference,
  type SetInferenceRouteRequest,
} from "../../../../src/gen/openshell/inference/v1/inference_pb.js";
import { memoryCalls } from "../../support/memory-gateway.js";

async function rejection(promise: Promise<unknown>): Promise<OpenShellError> {
  try {
    await promise;
  } catch (err) {
    return err as OpenShellError;
  }
  throw new Error("expected the call to reject");
}

/** A gateway that echoes routes back the way the real one does, remembering each request. */
function gateway(workspace = "default") {
  const requests: SetInferenceRouteRequest[] = [];
  const calls = memoryCalls(
    (r) =>
      r.service(Inference, {
        setInferenceRoute(req) {
          requests.push(req);
          return {
            providerName: req.providerName,
            modelId: req.modelId,
            version: 5n,
            routeName: req.routeName || "inference.local",
            validationPerformed: req.verify,
            validatedEndpoints: req.verify ? [{ url: "https://api.openai.com/v1", protocol: "openai" }] : [],
            timeoutSecs: req.timeoutSecs || 60n,
            workspace: req.workspace,
          };
        },
        getInferenceRoute(req) {
          if (req.routeName !== "" && req.routeName !== "sandbox-system") {
            throw new ConnectError(`route "${req.routeName}" not found`, Code.NotFound);
          }
          return {
            providerName: "openai",
            modelId: "gpt-4o-mini",
            version: 9_007_199_254_740_993n,
            routeName: req.routeName,
            timeoutSecs: 30n,
            workspace: req.workspace,
          };
        },
        deleteInferenceRoute: (req) => ({ deleted: req.routeName === "" }),
      }),
    workspace,
  );
  return { calls, requests };
}

describe("InferenceService.setRoute", () => {
  it("maps verify to the two wire flags", async () => {
    const { calls, requests } = gateway();
    const service = new InferenceService(calls);
    await service.setRoute({ provider: "openai", model: "gpt-4o-mini" });
    await service.setRoute({ provider: "openai", model: "gpt-4o-mini", verify: true });
    await service.setRoute({ provider: "openai", model: "gpt-4o-mini", verify: false });
    expect(requests.map((r) => [r.verify, r.noVerify])).toEqual([
      [false, false],
      [true, false],
      [false, true],
    ]);
  });

  it('sends the default route as "" and reports it as inference.local', async () => {
    const { calls, requests } = gateway("team-a");
    const route = await new InferenceService(calls).setRoute({
      provider: "openai",
      model: "gpt-4o-mini",
      verify: true,
      timeoutSecs: 90,
    });
    expect(requests[0]?.routeName).toBe("");
    expect(requests[0]?.timeoutSecs).toBe(90n);
    expect(requests[0]?.workspace).toBe("team-a");
    expect(route).toEqual({
      routeName: "inference.local",
      provider: "openai",
      model: "gpt-4o-mini",
      version: 5n,
      timeoutSecs: 90,
      workspace: "team-a",
      validatedEndpoints: [{ url: "https://api.openai.com/v1", protocol: "openai" }],
    });
  });

  it("sets a named route in another workspace", async () => {
    const { calls, requests } = gateway();
    const route = await new InferenceService(calls).setRoute({
      provider: "nv",
      model: "meta/llama-3.1-8b-instruct",
      routeName: "sandbox-system",
      workspace: "ws2",
    });
    expect(requests[0]?.routeName).toBe("sandbox-system");
    expect(requests[0]?.timeoutSecs).toBe(0n);
    expect(route.routeName).toBe("sandbox-system");
    expect(route.workspace).toBe("ws2");
    expect(route.timeoutSecs).toBe(60);
  });

  it.each([
    [{ model: "m" }, "provider"],
    [{ provider: "bad name", model: "m" }, "provider"],
    [{ provider: "openai" }, "model"],
    [{ provider: "openai", model: " " }, "model"],
    [{ provider: "openai", model: "m", routeName: "no spaces" }, "routeName"],
    [{ provider: "openai", model: "m", timeoutSecs: -1 }, "timeoutSecs"],
    [{ provider: "openai", model: "m", verify: "yes" }, "verify"],
  ])("rejects %o before sending, naming %s", async (input, field) => {
    const { calls, requests } = gateway();
    const err = await rejection(new InferenceService(calls).setRoute(input as never));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe(field);
    expect(requests).toEqual([]);
  });
});

describe("InferenceService get / delete", () => {
  it("gets the default route with its exact uint64 version", async () => {
    const { calls } = gateway();
    const route = await new InferenceService(calls).getRoute();
    expect(route).toEqual({
      routeName: "inference.local",
      provider: "openai",
      model: "gpt-4o-mini",
      version: 9_007_199_254_740_993n,
      timeoutSecs: 30,
      workspace: "default",
      validatedEndpoints: [],
    });
    expect((await new InferenceService(calls).getRoute("")).routeName).toBe("inference.local");
    expect((await new InferenceService(calls).getRoute("sandbox-system")).routeName).toBe("sandbox-system");
  });

  it("maps a missing route to NotFoundError and validates the name", async () => {
    const service = new InferenceService(gateway().calls);
    await expect(service.getRoute("other")).rejects.toBeInstanceOf(NotFoundError);
    const err = await rejection(service.deleteRoute("bad/name"));
    expect((err as InvalidArgumentError).field).toBe("routeName");
  });

  it("returns whether a route was deleted", async () => {
    const service = new InferenceService(gateway().calls);
    expect(await service.deleteRoute()).toBe(true);
    expect(await service.deleteRoute("other")).toBe(false);
  });
});
