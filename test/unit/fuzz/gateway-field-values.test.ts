import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, ServiceStatus } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type EnginelessGateway, EXEC_MS, startEnginelessGateway } from "./engineless-gateway.js";
import { prototypeKeys, runs, settings, timeFor } from "./fuzz-support.js";

/**
 * Properties of the local gateway's answers to hostile field values, each once a defect the fuzz
 * found: status messages bounded for over-long inputs, unknown values naming their field, and exec
 * timeouts past what a Node timer holds.
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

describe("local gateway: hostile field values", () => {
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

  // Before: INVALID_ARGUMENT `unknown log level "x" (expected ERROR, ...)` and `unknown log source
  // "x" (expected gateway or sandbox)`, naming no field.
  it("an unknown log level or source is INVALID_ARGUMENT naming its field", async () => {
    const bad = fc
      .string({ maxLength: 10 })
      .filter(
        (s) =>
          !["", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "gateway", "sandbox"].includes(s.toUpperCase()) &&
          !["gateway", "sandbox"].includes(s),
      );
    await fc.assert(
      fc.asyncProperty(
        bad,
        fc.constantFrom("watch-level", "logs-level", "watch-source", "logs-source"),
        async (value, where) => {
          const client = fresh();
          const id = gateway.ready.id;
          const call =
            where === "watch-level"
              ? (async () => {
                  for await (const _ of client.watchSandbox({ id, logMinLevel: value, followStatus: false }))
                    break;
                })()
              : where === "watch-source"
                ? (async () => {
                    for await (const _ of client.watchSandbox({
                      id,
                      logSources: [value],
                      followStatus: false,
                    }))
                      break;
                  })()
                : where === "logs-level"
                  ? client.getSandboxLogs({ sandboxId: id, minLevel: value })
                  : client.getSandboxLogs({ sandboxId: id, sources: [value] });
          const answer = await outcome(call);
          expect(answer.code, answer.message).toBe("InvalidArgument");
          const field = where.startsWith("watch")
            ? where.endsWith("level")
              ? "log_min_level"
              : "log_sources"
            : where.endsWith("level")
              ? "min_level"
              : "sources";
          expect(answer.message).toContain(field);
        },
      ),
      settings(runs(40)),
    );
  }, 60_000);

  // Before: "hasOwnProperty", "constructor", "toString", "valueOf" answer INTERNAL "local gateway:
  // cannot encode field openshell.datamodel.v1.Provider.type to JSON: expected string, got
  // function" (the type table is a plain object; its prototype's members count as types).
  it("a provider type the gateway does not know is INVALID_ARGUMENT, prototype member names included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...prototypeKeys), fc.string({ minLength: 1, maxLength: 12 })),
        fc.nat(),
        async (type, n) => {
          if (["openai", "anthropic", "nvidia", "github", "generic"].includes(type)) return;
          const answer = await outcome(
            fresh().createProvider({
              provider: { metadata: { name: `p${n}` }, type, credentials: { KEY: "v" } },
            }),
          );
          expect(answer.code, `${type}: ${answer.message}`).toBe("InvalidArgument");
        },
      ),
      settings(runs(40)),
    );
  }, 60_000);

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
