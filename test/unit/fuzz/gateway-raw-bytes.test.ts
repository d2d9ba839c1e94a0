import { toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Inference } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import { OpenShell, ServiceStatus } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type EnginelessGateway, startEnginelessGateway } from "./engineless-gateway.js";
import { caseCounter, hostileString, runs, settings, timeFor } from "./fuzz-support.js";
import { messageArb } from "./message-arbitrary.js";
import { envelope, sendRaw } from "./raw-http2.js";

const cases = caseCounter("gateway-raw-bytes");

const rawRuns = runs(200);

/** How long one request may take, answer included, before it counts as a hang. */
const REQUEST_BOUND_MS = 4_000;

const methods = [...OpenShell.methods, ...Inference.methods].map((m) => ({
  path: `/${m.parent.typeName}/${m.name}`,
  input: m.input,
}));

describe("fuzz: raw bytes and headers to the local gateway over node:http2", () => {
  let gateway: EnginelessGateway;
  beforeAll(async () => {
    gateway = await startEnginelessGateway();
  }, 30_000);
  afterAll(async () => {
    await gateway?.close();
  });

  it(
    `every gRPC request gets a gRPC status (never UNKNOWN), every other an HTTP answer, in time (${rawRuns} runs)`,
    async () => {
      // Short strings: field sizes are the decoding fuzz's business, framing is this one's.
      const known = () => ({
        sandboxId: gateway.ready.id,
        sandboxName: gateway.ready.name,
        shortStrings: true,
      });
      const request = fc.record({
        path: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...methods.map((m) => m.path)) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              "/",
              "/openshell.v1.OpenShell/",
              "/openshell.v1.OpenShell/Nope",
              "/x/y/z",
              "/?a=b",
            ),
          },
          {
            weight: 1,
            arbitrary: hostileString.map(
              (s) => `/${encodeURIComponent(s.replace(/[\uD800-\uDFFF]/gu, "\uFFFD")).slice(0, 2_000)}`,
            ),
          },
        ),
        // The JSON codecs (application/grpc+json, application/json) are in gateway-defects.pending.ts:
        // a body that is not JSON can leave the call without an answer today.
        contentType: fc.constantFrom(
          "application/grpc",
          "application/grpc",
          "application/grpc+proto",
          "application/grpc-web+proto",
          "application/proto",
          "application/connect+proto",
          "text/plain",
          "application/grpc; charset=utf-8",
        ),
        te: fc.boolean(),
        encoding: fc.option(fc.constantFrom("gzip", "identity", "br", "snappy", "x"), { nil: undefined }),
        // Deadlines past 2^31 ms are in gateway-defects.pending.ts (they end calls at once today).
        timeout: fc.option(fc.constantFrom("1S", "100m", "abc", "24H", "0n", "-1S", "123456789S"), {
          nil: undefined,
        }),
        body: fc.oneof(
          { weight: 2, arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)) },
          {
            weight: 3,
            arbitrary: fc
              .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 256 }))
              .map(([flags, payload]) => envelope(flags, payload)),
          },
          {
            weight: 1,
            // A length prefix that promises more (or less) than follows.
            arbitrary: fc
              .tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0, 1, 100, 65_536, 2 ** 32 - 1))
              .map(([payload, declared]) => envelope(0, payload, declared)),
          },
          { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
          { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b)) },
        ),
        // A well-formed message of the method's type half the time: the decoder gets past the frame.
        wellFormed: fc.boolean(),
        seed: fc.nat(),
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          cases.count();
          let body = r.body;
          const method = methods.find((m) => m.path === r.path);
          if (r.wellFormed && method) {
            const message = fc.sample(messageArb(method.input, known()), { numRuns: 1, seed: r.seed })[0];
            // Up to 16 KiB: over-long fields are the decoding fuzz's business (and a known defect:
            // the gateway quotes them whole in grpc-message, past HTTP/2's header limit).
            const bytes = message ? toBinary(method.input, message) : undefined;
            if (bytes && bytes.byteLength <= 16 * 1024) body = envelope(0, bytes);
          }
          const headers: Record<string, string> = { ":path": r.path, "content-type": r.contentType };
          if (r.te) headers.te = "trailers";
          if (r.encoding) headers["grpc-encoding"] = r.encoding;
          if (r.timeout) headers["grpc-timeout"] = r.timeout;
          const answer = await sendRaw(gateway.port, headers, body, REQUEST_BOUND_MS);
          const shown = `${JSON.stringify(headers).slice(0, 300)} ${body.byteLength} bytes -> ${JSON.stringify(answer).slice(0, 500)}`;
          expect(answer.ended, shown).toBe("closed");
          expect(answer.status, shown).toBeDefined();
          // (A content type with parameters, `application/grpc; charset=utf-8`, gets HTTP 415.)
          if (/^application\/grpc(\+proto)?$/.test(r.contentType)) {
            // gRPC: HTTP 200, and a grpc-status in the trailers (or a trailers-only answer).
            expect(answer.status, shown).toBe(200);
            const status = answer.trailers["grpc-status"] ?? answer.headers["grpc-status"];
            expect(status, shown).toBeDefined();
            expect(status, shown).not.toBe("2");
          }
        }),
        settings(rawRuns, REQUEST_BOUND_MS + 1_000),
      );
      const health = await gateway.openshell.health({}, { signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
      expect(health.status).toBe(ServiceStatus.HEALTHY);
      expect(gateway.unmodelled).toEqual([]);
    },
    timeFor(rawRuns, 30),
  );
});
