import { describe, expect, it } from "vitest";
import { withRouteModel } from "../../../../src/local/inference/inference-request-body.js";

function routed(body: string, contentType?: string) {
  const out = withRouteModel(Buffer.from(body), contentType, "route-model");
  return { body: out.body.toString("utf8"), requestedModel: out.requestedModel };
}

describe("withRouteModel", () => {
  it("puts the route's model into a JSON body that names one", () => {
    expect(routed('{"model":"gpt-4o","messages":[]}', "application/json")).toEqual({
      body: '{"model":"route-model","messages":[]}',
      requestedModel: "gpt-4o",
    });
    expect(routed(' \n{"model":null}')).toEqual({
      body: '{"model":"route-model"}',
      requestedModel: undefined,
    });
  });

  it.each([
    ['{"input":"x"}', "application/json"],
    ['[{"model":"x"}]', "application/json"],
    ['{"model":"x"', "application/json"],
    ['{"model":"x"}', "text/plain"],
    ["", undefined],
  ])("leaves %s (%s) as it is", (body, contentType) => {
    expect(routed(body, contentType)).toEqual({ body, requestedModel: undefined });
  });
});
