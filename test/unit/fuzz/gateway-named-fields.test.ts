import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type EnginelessGateway, startEnginelessGateway } from "./engineless-gateway.js";
import { prototypeKeys, runs, settings } from "./fuzz-support.js";

/** Request fields the gateway checks by name: an unknown value is INVALID_ARGUMENT naming its field. */

async function outcome(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
    return { code: "OK", message: "" };
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code] ?? String(e.code), message: e.rawMessage };
  }
}

describe("local gateway: unknown values in named request fields", () => {
  let gateway: EnginelessGateway;
  beforeAll(async () => {
    gateway = await startEnginelessGateway();
  }, 30_000);
  afterAll(async () => {
    await gateway?.close();
  });
  const fresh = () => createClient(OpenShell, createGrpcTransport({ baseUrl: gateway.endpoint }));

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
});
