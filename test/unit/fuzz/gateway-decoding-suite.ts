import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inference } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import { OpenShell, ServiceStatus } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type EnginelessGateway, startEnginelessGateway } from "./engineless-gateway.js";
import { caseCounter, settings, timeFor } from "./fuzz-support.js";
import { fieldNames, messageArb } from "./message-arbitrary.js";

export interface DecodingChecks {
  /** Runs per method. */
  runs: number;
  /**
   * Beyond "settles in time, never UNKNOWN, the gateway keeps serving": never INTERNAL (a broken
   * connection included), and an INVALID_ARGUMENT names a field of the request.
   */
  strict: boolean;
}

/** How long a stream is read before the caller gives up on it (a follow watch never ends by itself). */
const STREAM_READ_MS = 250;
/** How long any call may take before it counts as a hang. */
const CALL_BOUND_MS = 4_000;

type AnyClient = Record<string, (input: unknown, options: { signal: AbortSignal }) => unknown>;

interface Outcome {
  /** The gRPC code the call ended with ("OK" when it did not fail). */
  code: string;
  message: string;
  /** The caller's own deadline ended it (a stream still open, which is allowed). */
  ourDeadline: boolean;
}

/** Calls `method` with `requests` (one, or a client stream of several) and reads the answer, bounded. */
async function call(client: AnyClient, method: DescMethod, requests: Message[]): Promise<Outcome> {
  const streaming = method.methodKind !== "unary";
  const deadline = AbortSignal.timeout(streaming ? STREAM_READ_MS : CALL_BOUND_MS);
  const fn = client[method.localName] as (input: unknown, options: { signal: AbortSignal }) => unknown;
  try {
    if (method.methodKind === "unary" || method.methodKind === "server_streaming") {
      const result = fn(requests[0], { signal: deadline });
      if (method.methodKind === "unary") await result;
      else for await (const _ of result as AsyncIterable<unknown>);
    } else {
      const input = (async function* () {
        yield* requests;
      })();
      const result = fn(input, { signal: deadline });
      if (method.methodKind === "client_streaming") await result;
      else for await (const _ of result as AsyncIterable<unknown>);
    }
    return { code: "OK", message: "", ourDeadline: false };
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code] ?? String(e.code), message: e.rawMessage, ourDeadline: deadline.aborted };
  }
}

/**
 * What the gateway may answer to arbitrary requests: a status, in time, never UNKNOWN; with `strict`
 * also never INTERNAL (which says the gateway broke on user input) and an INVALID_ARGUMENT naming a
 * field of the request.
 */
function expectFitting(method: DescMethod, outcome: Outcome, strict: boolean): void {
  if (outcome.ourDeadline && (outcome.code === "Canceled" || outcome.code === "DeadlineExceeded")) return;
  const shown = `${method.name}: ${outcome.code} ${outcome.message.slice(0, 500)}`;
  expect(outcome.code, shown).not.toBe("Unknown");
  if (!strict) return;
  expect(outcome.code, shown).not.toBe("Internal");
  if (outcome.code === "InvalidArgument") {
    const names = [...fieldNames(method.input)];
    const named = names.some((n) => outcome.message.toLowerCase().includes(n.toLowerCase()));
    expect(named, `${shown} names none of ${names.slice(0, 20).join(", ")}`).toBe(true);
  }
}

/**
 * Every method of the local gateway fed arbitrary messages of its request type through a raw gRPC
 * client over HTTP/2, a connection per case; after each method, the gateway still answers Health
 * on a connection opened before the fuzz began.
 */
export function describeGatewayDecoding(file: string, checks: DecodingChecks): void {
  const cases = caseCounter(file);
  describe(`fuzz: the local gateway's request decoding (every method, arbitrary messages, over HTTP/2${checks.strict ? ", strict statuses" : ""})`, () => {
    let gateway: EnginelessGateway;
    beforeAll(async () => {
      gateway = await startEnginelessGateway();
    }, 30_000);
    afterAll(async () => {
      await gateway?.close();
    });

    for (const service of [OpenShell, Inference] as DescService[]) {
      for (const method of service.methods) {
        it(
          `${service.name}.${method.name}: a fitting status for ${checks.runs} arbitrary requests, then still serving`,
          async () => {
            const streamOfInputs =
              method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
            await fc.assert(
              fc.asyncProperty(
                fc.constant(null).chain(() => {
                  const one = messageArb(method.input, {
                    sandboxId: gateway.ready.id,
                    sandboxName: gateway.ready.name,
                  });
                  return streamOfInputs ? fc.array(one, { minLength: 1, maxLength: 3 }) : one.map((m) => [m]);
                }),
                async (requests) => {
                  cases.count();
                  // A connection per case: a case that breaks its connection is the one reported,
                  // and the streams the fuzz gives up on (RST_STREAM) do not pile up on one
                  // connection until the server's rapid-reset defence closes it.
                  const sessions = new Http2SessionManager(gateway.endpoint);
                  try {
                    const c = createClient(
                      service,
                      createGrpcTransport({ baseUrl: gateway.endpoint, sessionManager: sessions }),
                    );
                    expectFitting(
                      method,
                      await call(c as unknown as AnyClient, method, requests),
                      checks.strict,
                    );
                  } finally {
                    sessions.abort();
                  }
                },
              ),
              settings(checks.runs, CALL_BOUND_MS + 1_000),
            );
            // The gateway's own client, connected since the start, and still served.
            const health = await gateway.openshell.health({}, { signal: AbortSignal.timeout(CALL_BOUND_MS) });
            expect(health.status).toBe(ServiceStatus.HEALTHY);
            expect(gateway.unmodelled).toEqual([]);
            await gateway.ensureReady();
          },
          timeFor(checks.runs, 100),
        );
      }
    }
  });
}
