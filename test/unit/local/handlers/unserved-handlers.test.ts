import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Inference } from "../../../../src/gen/openshell/inference/v1/inference_pb.js";
import { OpenShell, ServiceStatus } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { withUnservedAnswers } from "../../../../src/local/handlers/unserved-handlers.js";
import { localModeUnservedMessage } from "../../../../src/local/protocol/local-mode-hints.js";

/** A gateway serving Health only, as local mode registers its handlers. */
function gateway() {
  const transport = createRouterTransport((router) => {
    router.service(
      OpenShell,
      withUnservedAnswers(OpenShell, {
        async health() {
          return { status: ServiceStatus.HEALTHY, version: "unit" };
        },
      }),
    );
    router.service(Inference, withUnservedAnswers(Inference, {}));
  });
  return { openshell: createClient(OpenShell, transport), inference: createClient(Inference, transport) };
}

async function failure(call: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await call();
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded");
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // Reading to the end is the point: an unserved stream must fail, not end quietly.
  }
}

async function* nothing(): AsyncGenerator<never> {}

describe("methods local mode does not serve", () => {
  it("leave the served ones alone", async () => {
    const { openshell } = gateway();
    expect(await openshell.health({})).toMatchObject({ status: ServiceStatus.HEALTHY, version: "unit" });
  });

  it("answer a unary call UNIMPLEMENTED, naming the method and what to use instead", async () => {
    const { openshell } = gateway();
    const error = await failure(() => openshell.reportPolicyStatus({}));
    expect(error.code).toBe(Code.Unimplemented);
    expect(error.rawMessage).toBe(
      "openshell.v1.OpenShell/ReportPolicyStatus is not available in local mode (OpenShell.local()): " +
        "this call is made by the supervisor inside a sandbox, and local-mode sandboxes run none (the " +
        "local gateway watches their containers itself); supervisors run on an OpenShell gateway " +
        "(OpenShell.connect())",
    );
  });

  it("fail server-streaming, client-streaming and bidirectional calls the same way", async () => {
    const { openshell } = gateway();
    const push = await failure(() => openshell.pushSandboxLogs(nothing()));
    expect(push.code).toBe(Code.Unimplemented);
    expect(push.rawMessage).toMatch(
      /^openshell\.v1\.OpenShell\/PushSandboxLogs is not available in local mode/,
    );

    const connect = await failure(() => drain(openshell.connectSupervisor(nothing())));
    expect(connect.code).toBe(Code.Unimplemented);
    expect(connect.rawMessage).toContain("made by the supervisor inside a sandbox");

    const relay = await failure(() => drain(openshell.relayStream(nothing())));
    expect(relay.code).toBe(Code.Unimplemented);
    expect(relay.rawMessage).toContain("openshell.v1.OpenShell/RelayStream");
  });

  it("cover the Inference service too", async () => {
    const { inference } = gateway();
    const error = await failure(() => inference.getInferenceBundle({}));
    expect(error.code).toBe(Code.Unimplemented);
    expect(error.rawMessage).toBe(
      localModeUnservedMessage("openshell.inference.v1.Inference/GetInferenceBundle"),
    );
    expect(error.rawMessage).toContain("local-mode sandboxes run none");
  });

  it("still name a method no hint knows, and point at a real gateway", () => {
    expect(localModeUnservedMessage("openshell.v1.OpenShell/SomethingNewer")).toBe(
      "openshell.v1.OpenShell/SomethingNewer is not available in local mode (OpenShell.local()): " +
        "use an OpenShell gateway (OpenShell.connect()) for it",
    );
  });
});
