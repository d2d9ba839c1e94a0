import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type EnginelessGateway, EXEC_MS, startEnginelessGateway } from "./engineless-gateway.js";
import { runs, settings, timeFor } from "./fuzz-support.js";

describe("local gateway: exec timeouts", () => {
  let gateway: EnginelessGateway;
  beforeAll(async () => {
    gateway = await startEnginelessGateway();
  }, 30_000);
  afterAll(async () => {
    await gateway?.close();
  });
  const fresh = () => createClient(OpenShell, createGrpcTransport({ baseUrl: gateway.endpoint }));

  // Before: from timeout_seconds 2147484 (2^31 ms) on, Node's setTimeout overflowed to 1 ms
  // (TimeoutOverflowWarning) and every exec ended at once with exit code 124, as if timed out.
  it(
    "exec's timeout_seconds ends a command only once that time has passed, for every uint32",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.constantFrom(2_147_484, 2 ** 32 - 1)),
          async (timeoutSeconds) => {
            const events = [];
            for await (const e of fresh().execSandbox({
              sandboxId: gateway.ready.id,
              command: ["true"],
              timeoutSeconds,
            })) {
              events.push(e.payload);
            }
            const exit = events.find((e) => e.case === "exit");
            // The double's command runs EXEC_MS and exits 0; no timeout of 1 s or more elapses first.
            expect(exit?.value, `timeout_seconds ${timeoutSeconds}, command ${EXEC_MS} ms`).toMatchObject({
              exitCode: 0,
            });
          },
        ),
        settings(runs(40)),
      );
    },
    timeFor(runs(40), 100),
  );
});
