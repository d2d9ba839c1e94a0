import { inspect } from "node:util";
import { FailedPreconditionError, OpenShellError } from "openshell";
import { describe, expect, it } from "vitest";
import { ModelAccessError } from "../../../../../adapters/agent-registry/errors.js";
import {
  type ModelAccessPlan,
  planModelAccess,
} from "../../../../../adapters/agent-registry/model/plan-model-access.js";
import { agent, input, model, SECRET } from "./fixtures.js";

function credentialsOf(plan: ModelAccessPlan | undefined): Record<string, string> {
  if (plan === undefined || plan.viaInference) throw new Error("expected a raw-credential plan");
  return { ...plan.provider.credentials };
}

function failure(run: () => unknown): ModelAccessError {
  try {
    run();
  } catch (error) {
    if (error instanceof ModelAccessError) return error;
    throw error;
  }
  throw new Error("expected a ModelAccessError");
}

describe("model credentials from the adapter's environment", () => {
  it("prefers the variables runtimeConfig.credentialEnv names over the provider's usual ones", () => {
    const env = { ANTHROPIC_API_KEY: "sk-ant-default-0000", PROD_ANTHROPIC_KEY: SECRET };
    const plan = planModelAccess(input({ config: { credentialEnv: ["PROD_ANTHROPIC_KEY"] }, env }));
    // Stored under the key the provider type and inference.local read.
    expect(credentialsOf(plan)).toEqual({ ANTHROPIC_API_KEY: SECRET });
  });

  it("takes the usual variables in order of preference when credentialEnv is absent or empty", () => {
    const env = { CLAUDE_API_KEY: "sk-claude-1111", ANTHROPIC_API_KEY: SECRET };
    expect(credentialsOf(planModelAccess(input({ env })))).toEqual({ ANTHROPIC_API_KEY: SECRET });
    expect(credentialsOf(planModelAccess(input({ env, config: { credentialEnv: [] } })))).toEqual({
      ANTHROPIC_API_KEY: SECRET,
    });
    // An empty variable counts as unset.
    expect(
      credentialsOf(planModelAccess(input({ env: { ANTHROPIC_API_KEY: "", CLAUDE_API_KEY: SECRET } }))),
    ).toEqual({ ANTHROPIC_API_KEY: SECRET });
  });

  it("fills Bedrock's keys by name first, then in order, and keeps extra names as they are", () => {
    const env = {
      SECRET_KEY: SECRET,
      KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SESSION_TOKEN: "tok-1",
      EXTRA: "e",
    };
    const plan = planModelAccess(
      input({
        model: model(),
        config: { credentialEnv: ["AWS_SESSION_TOKEN", "KEY_ID", "SECRET_KEY", "EXTRA"] },
        env,
      }),
    );
    expect(credentialsOf(plan)).toEqual({
      AWS_SESSION_TOKEN: "tok-1",
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: SECRET,
      EXTRA: "e",
    });
  });

  it("names the usual variables and how to set them when none is set, and quotes no value", () => {
    const env = { OPENAI_API_KEY: SECRET, HOME: "/root" };
    const error = failure(() => planModelAccess(input({ env })));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error).toBeInstanceOf(OpenShellError);
    expect(error.reason).toBe("MissingModelCredentials");
    expect(error.field).toBe("deployment.spec.runtimeConfig.credentialEnv");
    expect(error.message).toBe(
      'model provider "anthropic" (OpenShell provider type "claude") needs credentials, but in the adapter\'s ' +
        "environment none of ANTHROPIC_API_KEY or CLAUDE_API_KEY is set. Set ANTHROPIC_API_KEY or CLAUDE_API_KEY " +
        "in the environment of the process that runs the adapter, or name the variables that hold them in " +
        "deployment.spec.runtimeConfig.credentialEnv.",
    );
    for (const text of [error.message, String(error), inspect(error), JSON.stringify(error)]) {
      expect(text).not.toContain(SECRET);
    }
  });

  it("names each missing Bedrock key and the registry Secret it cannot read", () => {
    const error = failure(() =>
      planModelAccess(input({ model: model(), env: { AWS_ACCESS_KEY_ID: SECRET } })),
    );
    expect(error.message).toContain("AWS_SECRET_ACCESS_KEY is not set");
    expect(error.message).not.toContain("AWS_ACCESS_KEY_ID is not set");
    expect(error.message).toContain(
      'The Model\'s auth.secretRef "bedrock-creds" is a registry Secret, which the adapter cannot read: put its value in AWS_SECRET_ACCESS_KEY.',
    );
    expect(error.message).not.toContain(SECRET);
  });

  it("names the credentialEnv variables that are not set, without the values of those that are", () => {
    const env = { PROD_KEY: SECRET };
    const error = failure(() =>
      planModelAccess(
        input({
          target: agent({ modelProvider: "openai" }),
          config: { credentialEnv: ["PROD_KEY", "ORG_ID"] },
          env,
        }),
      ),
    );
    expect(error).toMatchObject({
      reason: "MissingModelCredentials",
      field: "deployment.spec.runtimeConfig.credentialEnv",
    });
    expect(error.message).toContain(
      "deployment.spec.runtimeConfig.credentialEnv names ORG_ID, which is not set (or empty) in the adapter's environment",
    );
    expect(error.message).not.toContain("PROD_KEY");
    expect(error.message).not.toContain(SECRET);
  });

  it("says which keys credentialEnv leaves without a variable", () => {
    const error = failure(() =>
      planModelAccess(
        input({ model: model(), config: { credentialEnv: ["KEY_ID"] }, env: { KEY_ID: SECRET } }),
      ),
    );
    expect(error.message).toContain(
      "needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, but deployment.spec.runtimeConfig.credentialEnv names no variable for AWS_SECRET_ACCESS_KEY",
    );
    expect(error.message).not.toContain(SECRET);
  });

  it("reads an unknown provider's key from <NAME>_API_KEY", () => {
    const error = failure(() =>
      planModelAccess(
        input({
          model: model({ provider: "together-ai", endpoint: { baseUrl: "https://api.together.xyz/v1" } }),
        }),
      ),
    );
    expect(error.message).toContain("TOGETHER_AI_API_KEY is not set");
  });
});
