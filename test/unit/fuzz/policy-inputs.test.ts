import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenShell } from "../../../src/client/open-shell.js";
import type { UpdatePolicyInput } from "../../../src/client/policy/policy-options.js";
import type { UpdateConfigRequest } from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  caseCounter,
  corrupted,
  expectGivenWasSent,
  expectNamedRejection,
  hostileValue,
  keysOf,
  optionsOf,
  runs,
  settings,
  settle,
  timeFor,
} from "./fuzz-support.js";
import { type RecordingGateway, startRecordingGateway } from "./recording-gateway.js";
import * as valid from "./valid-inputs.js";

const cases = caseCounter("policy-inputs");

const updateRuns = runs(300);
const validRuns = runs(60);

const updateInput = optionsOf({
  networkPolicies: fc.oneof(valid.networkPolicies, corrupted(valid.networkPolicies)),
  expectedResourceVersion: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  wait: fc.oneof(
    fc.boolean(),
    fc.record(
      {
        timeoutMs: fc.integer({ min: 5_000, max: 60_000 }),
        pollIntervalMs: fc.integer({ min: 1, max: 100 }),
      },
      { requiredKeys: [] },
    ),
  ),
});

/** The rules as sent: each given rule, named after its key unless it names itself. */
function expectRulesSent(given: Record<string, Record<string, unknown>>, sent: UpdateConfigRequest): void {
  const rules = sent.policy?.networkPolicies ?? {};
  expect(Object.keys(rules)).toEqual(Object.keys(given));
  for (const [key, rule] of Object.entries(given)) {
    const { name, ...rest } = rule;
    expectGivenWasSent(rest, rules[key], `networkPolicies.${key}`);
    // A rule without a name is named after its key (UpdatePolicyInput's TSDoc).
    expect(rules[key]?.name).toBe(name || key);
  }
}

describe("fuzz: policy.update inputs over a real HTTP/2 gateway", () => {
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
    `update: sends the rules as given, or rejects naming the rule's field and updates nothing (${updateRuns} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 8, arbitrary: valid.sandboxName }, { weight: 1, arbitrary: hostileValue }),
          fc.oneof({ weight: 8, arbitrary: updateInput }, { weight: 1, arbitrary: hostileValue }),
          async (name, input) => {
            cases.count();
            const streams = gateway.streams();
            const recorded = gateway.requests.length;
            const result = await settle(() =>
              os.policy.update(name as string, input as unknown as UpdatePolicyInput),
            );
            const updates = gateway.requests.slice(recorded).filter((r) => r.method === "UpdateConfig");
            if (!result.ok) {
              expectNamedRejection(result.error, "policy update", [
                "sandbox name",
                "networkPolicies",
                ...keysOf(input),
              ]);
              // Nothing at all is sent for a bad input; only the 256 KiB limit needs the current policy.
              if (!/256 KiB/.test((result.error as Error).message)) expect(gateway.streams()).toBe(streams);
              expect(updates).toEqual([]);
              return;
            }
            expect(updates).toHaveLength(1);
            const given = (input as { networkPolicies: Record<string, Record<string, unknown>> })
              .networkPolicies;
            expectRulesSent(given, updates[0]?.message as UpdateConfigRequest);
          },
        ),
        settings(updateRuns),
      );
    },
    timeFor(updateRuns, 30),
  );

  it(
    `update: accepts every rule the contract allows (SEMANTICS.md section 8 and 15) (${validRuns} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(valid.sandboxName, valid.networkPolicies, async (name, networkPolicies) => {
          cases.count();
          const recorded = gateway.requests.length;
          const result = await settle(() => os.policy.update(name, { networkPolicies }));
          if (!result.ok) throw result.error;
          const update = gateway.requests.slice(recorded).find((r) => r.method === "UpdateConfig");
          expectRulesSent(networkPolicies, update?.message as UpdateConfigRequest);
        }),
        settings(validRuns),
      );
    },
    timeFor(validRuns, 30),
  );
});
