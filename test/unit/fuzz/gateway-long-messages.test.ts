import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, ServiceStatus } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type EnginelessGateway, startEnginelessGateway } from "./engineless-gateway.js";
import { runs, settings } from "./fuzz-support.js";

/**
 * Over-long inputs that the gateway's answer quotes: the status message is bounded, so it fits in
 * an HTTP/2 header block and the connection carries on (found by fuzzing the request decoding).
 */

async function outcome(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
    return { code: "OK", message: "" };
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code] ?? String(e.code), message: e.rawMessage };
  }
}

describe("local gateway: status messages for over-long inputs", () => {
  let gateway: EnginelessGateway;
  beforeAll(async () => {
    gateway = await startEnginelessGateway();
  }, 30_000);
  afterAll(async () => {
    await gateway?.close();
  });
  const fresh = () => createClient(OpenShell, createGrpcTransport({ baseUrl: gateway.endpoint }));

  // Before the bound: INTERNAL "Stream closed with error code NGHTTP2_FRAME_SIZE_ERROR" (the status
  // message quoted the whole value, over HTTP/2's 64 KiB header limit), and the next call on the same
  // connection failed INTERNAL "NGHTTP2_REFUSED_STREAM".
  it("an over-long name or workspace is answered with a bounded message, and the connection lives on", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 65_536, max: 300_000 }),
        fc.constantFrom("name", "workspace", "provider", "selector"),
        async (size, where) => {
          const client = fresh();
          const long = "a".repeat(size);
          const call =
            where === "name"
              ? client.getSandbox({ name: long })
              : where === "workspace"
                ? client.getSandbox({ name: "x", workspace: long })
                : where === "provider"
                  ? client.getProvider({ name: long })
                  : client.listSandboxes({ labelSelector: long });
          const answer = await outcome(call);
          expect(
            ["InvalidArgument", "NotFound"],
            `${where} ${size}: ${answer.code} ${answer.message.slice(0, 200)}`,
          ).toContain(answer.code);
          expect(answer.message.length).toBeLessThan(4_096);
          expect((await client.health({})).status).toBe(ServiceStatus.HEALTHY);
        },
      ),
      settings(runs(20)),
    );
  }, 60_000);
});
