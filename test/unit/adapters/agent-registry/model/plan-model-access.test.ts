import { inspect } from "node:util";
import { InvalidArgumentError } from "openshell";
import { mcpServerSchema, sandboxNameFor } from "openshell/adapters/agent-registry";
import { describe, expect, it } from "vitest";
import { ModelAccessError } from "../../../../../adapters/agent-registry/errors.js";
import {
  type ModelAccessPlan,
  modelProviderNameFor,
  planModelAccess,
} from "../../../../../adapters/agent-registry/model/plan-model-access.js";
import { objectNameSchema } from "../../../../../src/client/validation/common-schemas.js";
import { agent, deployment, input, model, SECRET } from "./fixtures.js";

function rawPlan(plan: ModelAccessPlan | undefined) {
  if (plan === undefined || plan.viaInference)
    throw new Error(`expected a raw-credential plan: ${inspect(plan)}`);
  return plan;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("planModelAccess: the proof of concept's mapping", () => {
  it.each([
    ["anthropic", "claude", "ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY", "api.anthropic.com"],
    ["anthropic", "claude", "CLAUDE_API_KEY", "ANTHROPIC_API_KEY", "api.anthropic.com"],
    ["openai", "openai", "OPENAI_API_KEY", "OPENAI_API_KEY", "api.openai.com"],
    ["nvidia", "nvidia", "NVIDIA_API_KEY", "NVIDIA_API_KEY", "integrate.api.nvidia.com"],
    ["google", "generic", "GOOGLE_API_KEY", "GOOGLE_API_KEY", "generativelanguage.googleapis.com"],
    ["gemini", "generic", "GEMINI_API_KEY", "GEMINI_API_KEY", "generativelanguage.googleapis.com"],
    ["gemini", "generic", "GOOGLE_API_KEY", "GEMINI_API_KEY", "generativelanguage.googleapis.com"],
    ["mistral", "generic", "MISTRAL_API_KEY", "MISTRAL_API_KEY", "api.mistral.ai"],
    ["cohere", "generic", "COHERE_API_KEY", "COHERE_API_KEY", "api.cohere.com"],
    ["Anthropic", "claude", "ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY", "api.anthropic.com"],
  ])(
    "agent modelProvider %s -> type %s, from %s as %s, egress %s:443",
    (provider, type, variable, key, host) => {
      const plan = rawPlan(
        planModelAccess(
          input({
            target: agent({ modelProvider: provider, modelName: "m-1" }),
            env: { [variable]: SECRET },
          }),
        ),
      );
      expect(plan.provider.type).toBe(type);
      expect({ ...plan.provider.credentials }).toEqual({ [key]: SECRET });
      expect(plan.hosts).toEqual([{ host, port: 443 }]);
      expect(plan.env).toEqual({ MODEL_PROVIDER: provider.toLowerCase(), MODEL_NAME: "m-1" });
      expect(plan.viaInference).toBe(false);
    },
  );

  it("keeps secrets out of the sandbox's env and prints the plan with credentials redacted", () => {
    const plan = rawPlan(planModelAccess(input({ env: { ANTHROPIC_API_KEY: SECRET, HOME: "/root" } })));
    expect(JSON.stringify(plan.env)).not.toContain(SECRET);
    expect(JSON.stringify(plan)).not.toContain(SECRET);
    expect(inspect(plan, { depth: 10 })).not.toContain(SECRET);
    expect(inspect(plan, { depth: 10 })).toContain("ANTHROPIC_API_KEY: '[redacted]'");
    // Spread, the credentials are a plain record again, as providers.create takes them.
    expect(JSON.stringify({ ...plan.provider.credentials })).toContain(SECRET);
    // Nothing else of the adapter's environment is taken.
    expect(Object.keys(plan.provider.credentials)).toEqual(["ANTHROPIC_API_KEY"]);
  });

  it("is undefined for an agent without a model, and for an MCP server without a modelRef", () => {
    expect(
      planModelAccess(input({ target: agent({ modelProvider: undefined, modelName: undefined }) })),
    ).toBe(undefined);
    expect(planModelAccess(input({ target: agent({ modelProvider: "  " }) }))).toBe(undefined);
    const mcp = mcpServerSchema.parse({
      apiVersion: "ar.dev/v1alpha1",
      kind: "MCPServer",
      metadata: { name: "weather" },
      spec: {},
    });
    expect(planModelAccess(input({ target: mcp }))).toBe(undefined);
  });
});

describe("planModelAccess: the registry's Model resource", () => {
  const aws = { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: SECRET };

  it("maps bedrock with a region to aws-bedrock, the region's runtime host and AWS_REGION", () => {
    const plan = rawPlan(
      planModelAccess(
        input({ deployment: deployment({ name: "claude-on-bedrock" }), model: model(), env: aws }),
      ),
    );
    expect(plan.provider).toMatchObject({ type: "aws-bedrock", config: { AWS_REGION: "us-east-1" } });
    expect({ ...plan.provider.credentials }).toEqual(aws);
    expect(plan.hosts).toEqual([{ host: "bedrock-runtime.us-east-1.amazonaws.com", port: 443 }]);
    expect(plan.env).toEqual({
      MODEL_PROVIDER: "bedrock",
      MODEL_NAME: "us.anthropic.claude-sonnet-4-5",
      AWS_REGION: "us-east-1",
    });
  });

  it("takes the optional session token when it is set", () => {
    const plan = rawPlan(
      planModelAccess(input({ model: model(), env: { ...aws, AWS_SESSION_TOKEN: "tok-123456" } })),
    );
    expect(Object.keys(plan.provider.credentials)).toEqual([
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
    ]);
  });

  it("wins over the agent's deprecated modelProvider and modelName", () => {
    const plan = rawPlan(
      planModelAccess(
        input({
          target: agent({ modelProvider: "anthropic", modelName: "claude-sonnet-4-5" }),
          model: model(),
          env: { ...aws, ANTHROPIC_API_KEY: SECRET },
        }),
      ),
    );
    expect(plan.modelProvider).toBe("bedrock");
    expect(plan.model).toBe("us.anthropic.claude-sonnet-4-5");
    expect(plan.provider.credentials).not.toHaveProperty("ANTHROPIC_API_KEY");
  });

  it("asks for a region when bedrock has neither region nor base URL", () => {
    const error = thrown(() =>
      planModelAccess(input({ model: model({ endpoint: {} }), env: aws })),
    ) as ModelAccessError;
    expect(error).toBeInstanceOf(ModelAccessError);
    expect(error).toMatchObject({ reason: "MissingModelEndpoint", field: "model.spec.endpoint.region" });
    expect(error.message).toContain("set model.spec.endpoint.region");
  });

  it("uses a base URL for host, port and config, and points the agent's SDK at it", () => {
    const plan = rawPlan(
      planModelAccess(
        input({
          model: model({
            provider: "openai",
            model: "gpt-4o-mini",
            endpoint: { baseUrl: "https://llm.corp.example:8443/v1/" },
          }),
          env: { OPENAI_API_KEY: SECRET },
        }),
      ),
    );
    expect(plan.hosts).toEqual([{ host: "llm.corp.example", port: 8443 }]);
    expect(plan.provider.config).toEqual({ OPENAI_BASE_URL: "https://llm.corp.example:8443/v1" });
    expect(plan.env).toMatchObject({
      OPENAI_BASE_URL: "https://llm.corp.example:8443/v1",
      MODEL_BASE_URL: "https://llm.corp.example:8443/v1",
    });
  });

  it("maps a provider it does not know to generic when a base URL says where it is", () => {
    const plan = rawPlan(
      planModelAccess(
        input({
          model: model({
            provider: "ollama",
            model: "llama3",
            endpoint: { baseUrl: "http://ollama.internal:11434" },
          }),
          env: { OLLAMA_API_KEY: "k-ollama-1" },
        }),
      ),
    );
    expect(plan.provider).toMatchObject({
      type: "generic",
      config: { MODEL_BASE_URL: "http://ollama.internal:11434" },
    });
    expect(plan.hosts).toEqual([{ host: "ollama.internal", port: 11434 }]);
  });

  it("refuses a provider it does not know without an endpoint, naming the field", () => {
    const fromAgent = thrown(() =>
      planModelAccess(input({ target: agent({ modelProvider: "ollama" }), env: { OLLAMA_API_KEY: "x" } })),
    );
    expect(fromAgent).toMatchObject({ reason: "UnknownModelProvider", field: "target.spec.modelProvider" });
    expect((fromAgent as Error).message).toContain(
      'target.spec.modelProvider "ollama" is not a model provider',
    );
    const fromModel = thrown(() =>
      planModelAccess(input({ model: model({ provider: "ollama", endpoint: {} }) })),
    );
    expect(fromModel).toMatchObject({ reason: "UnknownModelProvider", field: "model.spec.provider" });
  });

  it("refuses a base URL with a password without quoting it", () => {
    const error = thrown(() =>
      planModelAccess(
        input({
          model: model({ provider: "openai", endpoint: { baseUrl: `https://u:${SECRET}@api.example.com` } }),
        }),
      ),
    ) as ModelAccessError;
    expect(error).toMatchObject({ reason: "InvalidModelEndpoint", field: "model.spec.endpoint.baseUrl" });
    expect(error.message).not.toContain(SECRET);
  });

  it("refuses passthrough auth", () => {
    expect(
      thrown(() => planModelAccess(input({ model: model({ auth: { strategy: "passthrough" } }), env: aws }))),
    ).toMatchObject({ reason: "UnsupportedModelAuth", field: "model.spec.auth.strategy" });
  });

  it("needs the Model a modelRef names when the agent names no provider, and checks it is that Model", () => {
    const ref = { name: "claude-on-bedrock" };
    expect(
      thrown(() =>
        planModelAccess(input({ deployment: deployment(ref), target: agent({ modelProvider: undefined }) })),
      ),
    ).toMatchObject({ reason: "ModelNotResolved", field: "deployment.spec.modelRef" });
    // The agent's own provider is used when the Model was not given.
    expect(
      planModelAccess(input({ deployment: deployment(ref), env: { ANTHROPIC_API_KEY: SECRET } }))
        ?.modelProvider,
    ).toBe("anthropic");
    const other = thrown(() =>
      planModelAccess(input({ deployment: deployment({ name: "another-model" }), model: model(), env: aws })),
    );
    expect(other).toBeInstanceOf(InvalidArgumentError);
    expect(other).toMatchObject({ field: "model.metadata.name" });
  });
});

describe("planModelAccess: provider names", () => {
  it("names the provider after the deployment's sandbox, the same every time, a valid object name", () => {
    const plan = rawPlan(planModelAccess(input({ env: { ANTHROPIC_API_KEY: SECRET } })));
    const d = deployment();
    expect(plan.provider.name).toBe(`${sandboxNameFor(d)}-model`);
    expect(plan.provider.name).toBe(modelProviderNameFor(d));
    expect(objectNameSchema.safeParse(plan.provider.name).success).toBe(true);
    expect(rawPlan(planModelAccess(input({ env: { ANTHROPIC_API_KEY: "other" } }))).provider.name).toBe(
      plan.provider.name,
    );
  });

  it("gives another deployment, or the same name with a new uid, another provider", () => {
    const d = deployment();
    const renamed = { ...d, metadata: { ...d.metadata, name: "echo-agent-dev" } };
    const recreated = { ...d, metadata: { ...d.metadata, uid: "9e3c1d2a-0000-4000-8000-000000000001" } };
    const names = new Set([d, renamed, recreated].map(modelProviderNameFor));
    expect(names.size).toBe(3);
  });
});

describe("planModelAccess: inference.local", () => {
  const route = {
    routeName: "inference.local",
    provider: "team-anthropic",
    providerType: "anthropic",
    model: "claude-haiku-4-5",
  };

  it("offers inference.local instead of raw credentials when a route serves the provider", () => {
    const plan = planModelAccess(input({ env: { ANTHROPIC_API_KEY: SECRET }, inferenceRoutes: [route] }));
    expect(plan).toEqual({
      viaInference: true,
      route,
      modelProvider: "anthropic",
      model: "claude-haiku-4-5",
      hosts: [],
      env: {
        MODEL_PROVIDER: "anthropic",
        MODEL_NAME: "claude-haiku-4-5",
        MODEL_BASE_URL: "https://inference.local",
        ANTHROPIC_BASE_URL: "https://inference.local",
        ANTHROPIC_API_KEY: "inference.local",
      },
    });
    expect(JSON.stringify(plan)).not.toContain(SECRET);
  });

  it("needs no credentials in the adapter's environment then", () => {
    const plan = planModelAccess(
      input({
        target: agent({ modelProvider: "openai", modelName: "gpt-4o" }),
        inferenceRoutes: [{ ...route, providerType: "openai" }],
      }),
    );
    expect(plan).toMatchObject({
      viaInference: true,
      env: { OPENAI_BASE_URL: "https://inference.local/v1" },
    });
  });

  it("keeps raw credentials when the route serves another provider, or the Model names its own endpoint", () => {
    const openaiRoute = { ...route, providerType: "openai" };
    // A claude-code route: local mode cannot forward it (503), so raw credentials it is.
    expect(
      planModelAccess(
        input({
          env: { ANTHROPIC_API_KEY: SECRET },
          inferenceRoutes: [{ ...route, providerType: "claude-code" }],
        }),
      ),
    ).toMatchObject({ viaInference: false });
    expect(
      planModelAccess(input({ env: { ANTHROPIC_API_KEY: SECRET }, inferenceRoutes: [openaiRoute] })),
    ).toMatchObject({
      viaInference: false,
    });
    const ownEndpoint = model({ provider: "openai", endpoint: { baseUrl: "https://llm.corp.example/v1" } });
    expect(
      planModelAccess(
        input({ model: ownEndpoint, env: { OPENAI_API_KEY: SECRET }, inferenceRoutes: [openaiRoute] }),
      ),
    ).toMatchObject({ viaInference: false, hosts: [{ host: "llm.corp.example", port: 443 }] });
  });
});
