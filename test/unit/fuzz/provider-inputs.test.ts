import { inspect } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SetInferenceRouteInput } from "../../../src/client/inference/inference-options.js";
import type { OpenShell } from "../../../src/client/open-shell.js";
import type {
  CreateProviderInput,
  UpdateProviderInput,
} from "../../../src/client/providers/provider-options.js";
import type { SetInferenceRouteRequest } from "../../../src/gen/openshell/inference/v1/inference_pb.js";
import type {
  CreateProviderRequest,
  UpdateProviderRequest,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  caseCounter,
  expectGivenWasSent,
  expectNamedRejection,
  hostileRecord,
  hostileValue,
  keysOf,
  optionsOf,
  runs,
  settings,
  settle,
  timeFor,
} from "./fuzz-support.js";
import { quotingError, type RecordingGateway, startRecordingGateway } from "./recording-gateway.js";
import * as valid from "./valid-inputs.js";

const cases = caseCounter("provider-inputs");

const providerRuns = runs(300);
const leakRuns = runs(100);
const routeRuns = runs(200);

/** Credentials whose values are secrets, sometimes spoiled by hostile keys or values. */
const credentials = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.dictionary(valid.envKey, valid.secret, { minKeys: 1, maxKeys: 4, noNullPrototype: true }),
  },
  { weight: 2, arbitrary: hostileRecord(fc.oneof(valid.secret, hostileValue)) },
);

const providerType = fc.constantFrom("openai", "anthropic", "nvidia", "github", "generic", "claude-code");

const secretShape = /^(sk-|ghp_|xoxb-|AKIA|eyJ)[A-Za-z0-9]{16,40}$/;

/** Every string in a value (the secrets a credentials map holds, however it is shaped). */
function secretsIn(value: unknown, seen = new Set<object>(), depth = 0): string[] {
  // Only what `valid.secret` makes: a hostile value such as "undefined" is no secret, and is in
  // every stack trace.
  if (typeof value === "string") return secretShape.test(value) ? [value] : [];
  if (typeof value !== "object" || value === null || seen.has(value) || depth > 8) return [];
  seen.add(value);
  return Object.values(value).flatMap((v) => secretsIn(v, seen, depth + 1));
}

/** No secret in anything a caller might print or log about the error. */
function expectNoSecret(error: unknown, secrets: string[]): void {
  const e = error as Error;
  const shown = [e.message, String(e), JSON.stringify(e), inspect(e, { depth: 6 }), e.stack ?? ""];
  for (const secret of secrets) {
    for (const text of shown) {
      if (text.includes(secret)) throw new Error(`a credential leaked into the error: ${text.slice(0, 300)}`);
    }
  }
}

describe("fuzz: provider credentials and inference routes over a real HTTP/2 gateway", () => {
  let gateway: RecordingGateway;
  let os: OpenShell;
  beforeAll(async () => {
    gateway = await startRecordingGateway();
    os = await gateway.client();
  });
  afterAll(async () => {
    await os?.close();
    await gateway?.close();
  });

  it(
    `create and update: send credentials as given, or reject by field without quoting a secret (${providerRuns} runs)`,
    async () => {
      const createInput = optionsOf({
        name: valid.objectName,
        type: providerType,
        credentials,
        config: valid.stringMap,
        workspace: valid.workspace,
      });
      const updateInput = optionsOf({
        credentials,
        config: valid.stringMap,
        expectedResourceVersion: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        workspace: valid.workspace,
      });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.record({ op: fc.constant("create" as const), input: createInput }),
            fc.record({ op: fc.constant("update" as const), input: updateInput, name: valid.objectName }),
          ),
          async (call) => {
            cases.count();
            const streams = gateway.streams();
            const recorded = gateway.requests.length;
            const secrets = secretsIn(call.input.credentials);
            const result = await settle(() =>
              call.op === "create"
                ? os.providers.create(call.input as unknown as CreateProviderInput)
                : os.providers.update(call.name, call.input as UpdateProviderInput),
            );
            if (!result.ok) {
              expectNoSecret(result.error, secrets);
              const what = call.op === "create" ? "provider" : "provider update";
              expectNamedRejection(result.error, what, ["name", "type", ...keysOf(call.input)]);
              expect(gateway.streams()).toBe(streams);
              return;
            }
            const sent = gateway.sent<CreateProviderRequest | UpdateProviderRequest>(recorded);
            expectGivenWasSent(call.input.credentials, sent.provider?.credentials, "credentials");
            expectGivenWasSent(call.input.config, sent.provider?.config, "config");
            // The result carries credential keys at most, never a value.
            expect(
              JSON.stringify(result.value, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
            ).not.toMatch(
              new RegExp(secrets.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") || "^$"),
            );
          },
        ),
        settings(providerRuns),
      );
    },
    timeFor(providerRuns, 20),
  );

  it(
    `a gateway that quotes the credentials in its error: none reaches the caller (${leakRuns} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(valid.envKey, valid.secret, { minKeys: 1, maxKeys: 3, noNullPrototype: true }),
          fc.constantFrom("create", "update"),
          fc.nat(),
          async (creds, op, pick) => {
            cases.count();
            const secrets = Object.values(creds);
            const method = op === "create" ? "CreateProvider" : "UpdateProvider";
            // The gateway quotes one secret, or all of them, or one inside a longer token.
            const quoted = [secrets[pick % secrets.length], secrets.join(","), `x${secrets[0]}y`][
              pick % 3
            ] as string;
            gateway.failWith(method, quotingError(quoted));
            try {
              const result = await settle(() =>
                op === "create"
                  ? os.providers.create({ name: "p", type: "openai", credentials: creds })
                  : os.providers.update("p", { credentials: creds }),
              );
              expect(result.ok).toBe(false);
              if (!result.ok) expectNoSecret(result.error, secrets);
            } finally {
              gateway.failWith(method, undefined);
            }
          },
        ),
        settings(leakRuns),
      );
    },
    timeFor(leakRuns, 20),
  );

  it(
    `inference.setRoute: sends the route as given, or rejects naming the field (${routeRuns} runs)`,
    async () => {
      const routeInput = optionsOf({
        provider: valid.objectName,
        model: valid.text(30).filter((m) => m.trim() !== ""),
        routeName: fc.oneof(fc.constant(""), valid.objectName),
        verify: fc.boolean(),
        timeoutSecs: fc.nat(),
        workspace: valid.workspace,
      });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 6, arbitrary: routeInput }, { weight: 1, arbitrary: hostileValue }),
          async (input) => {
            cases.count();
            const streams = gateway.streams();
            const recorded = gateway.requests.length;
            const result = await settle(() =>
              os.inference.setRoute(input as unknown as SetInferenceRouteInput),
            );
            if (!result.ok) {
              expectNamedRejection(result.error, "inference route", ["provider", "model", ...keysOf(input)]);
              expect(gateway.streams()).toBe(streams);
              return;
            }
            const o = input as Record<string, unknown>;
            const sent = gateway.sent<SetInferenceRouteRequest>(recorded);
            expect(sent.providerName).toBe(o.provider);
            expect(sent.modelId).toBe((o.model as string).trim());
            expect(sent.routeName).toBe(o.routeName ?? "");
            expect(sent.timeoutSecs).toBe(BigInt((o.timeoutSecs as number | undefined) ?? 0));
          },
        ),
        settings(routeRuns),
      );
    },
    timeFor(routeRuns, 20),
  );
});
