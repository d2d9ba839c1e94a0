import { toJsonString } from "@bufbuild/protobuf";
import { beforeEach, describe, expect, it } from "vitest";
import {
  GetInferenceRouteResponseSchema,
  SetInferenceRouteResponseSchema,
} from "../../../../src/gen/openshell/inference/v1/inference_pb.js";
import { harnessPerTest, outcome } from "./handler-harness.js";

const secret = "sk-route-secret-abcdef";

const h = harnessPerTest();
beforeEach(async () => {
  await h.client.createWorkspace({ name: "team" });
  for (const workspace of ["", "team"]) {
    await h.client.createProvider({
      provider: { metadata: { name: "llm" }, type: "openai", credentials: { OPENAI_API_KEY: secret } },
      workspace,
    });
  }
});

describe("inference handlers", () => {
  it("sets the default route with the gateway's defaults, without claiming a verification", async () => {
    const set = await h.inference.setInferenceRoute({
      providerName: "llm",
      modelId: "gpt-4o-mini",
      verify: true,
    });
    expect(set).toMatchObject({
      providerName: "llm",
      modelId: "gpt-4o-mini",
      routeName: "inference.local",
      timeoutSecs: 60n,
      version: 1n,
      workspace: "default",
      validationPerformed: false,
      validatedEndpoints: [],
    });
    expect(toJsonString(SetInferenceRouteResponseSchema, set)).not.toContain(secret);

    const got = await h.inference.getInferenceRoute({});
    expect(got).toMatchObject({ providerName: "llm", modelId: "gpt-4o-mini", version: 1n, timeoutSecs: 60n });
    expect(await h.inference.getInferenceRoute({ routeName: "inference.local" })).toEqual(got);
    expect(toJsonString(GetInferenceRouteResponseSchema, got)).not.toContain(secret);
  });

  it("replaces a route with the next version, and keeps routes apart by name and workspace", async () => {
    await h.inference.setInferenceRoute({ providerName: "llm", modelId: "a" });
    const replaced = await h.inference.setInferenceRoute({
      providerName: "llm",
      modelId: "b",
      timeoutSecs: 5n,
    });
    expect(replaced).toMatchObject({ modelId: "b", version: 2n, timeoutSecs: 5n });
    await h.inference.setInferenceRoute({ providerName: "llm", modelId: "sys", routeName: "sandbox-system" });
    await h.inference.setInferenceRoute({ providerName: "llm", modelId: "t", workspace: "team" });

    expect((await h.inference.getInferenceRoute({})).modelId).toBe("b");
    expect((await h.inference.getInferenceRoute({ routeName: "sandbox-system" })).version).toBe(1n);
    expect(await h.inference.getInferenceRoute({ workspace: "team" })).toMatchObject({
      modelId: "t",
      version: 1n,
      workspace: "team",
    });
  });

  it("refuses a route without provider or model, or to a provider the workspace does not have", async () => {
    expect(await outcome(h.inference.setInferenceRoute({ modelId: "m" }))).toEqual({
      code: "InvalidArgument",
      message: "provider_name is required",
    });
    expect((await outcome(h.inference.setInferenceRoute({ providerName: "llm" }))).code).toBe(
      "InvalidArgument",
    );
    expect(await outcome(h.inference.setInferenceRoute({ providerName: "nope", modelId: "m" }))).toEqual({
      code: "FailedPrecondition",
      message:
        'provider "nope" not found in workspace "default"; create it first (providers.create) or check the name',
    });
    // A workspace that exists but holds no such provider (one never created is NOT_FOUND first).
    await h.client.createWorkspace({ name: "other" });
    expect(
      (
        await outcome(
          h.inference.setInferenceRoute({ providerName: "llm", modelId: "m", workspace: "other" }),
        )
      ).code,
    ).toBe("FailedPrecondition");
  });

  it("deletes a route once: true, then false, and NOT_FOUND when read", async () => {
    await h.inference.setInferenceRoute({ providerName: "llm", modelId: "m" });
    expect(await h.inference.deleteInferenceRoute({})).toMatchObject({ deleted: true });
    expect(await h.inference.deleteInferenceRoute({ routeName: "inference.local" })).toMatchObject({
      deleted: false,
    });
    expect(await outcome(h.inference.getInferenceRoute({}))).toEqual({
      code: "NotFound",
      message: 'no inference route "inference.local" in workspace "default"',
    });
  });

  it("keeps routes and their versions across closing and reopening the store", async () => {
    await h.inference.setInferenceRoute({ providerName: "llm", modelId: "m", timeoutSecs: 120n });
    h.reopen();
    expect(await h.inference.getInferenceRoute({})).toMatchObject({
      modelId: "m",
      timeoutSecs: 120n,
      version: 1n,
    });
    expect((await h.inference.setInferenceRoute({ providerName: "llm", modelId: "n" })).version).toBe(2n);
  });
});
