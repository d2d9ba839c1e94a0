import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import {
  CanceledError,
  FailedPreconditionError,
  NotFoundError,
  type OpenShell,
  OpenShell as OpenShellClient,
  type Sandbox,
} from "openshell";
import { type ApplyInput, parseApplyInput, sandboxNameFor } from "openshell/adapters/agent-registry";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  ensureModelProvider,
  removeModelProvider,
} from "../../../../adapters/agent-registry/model/ensure-model-provider.js";
import { readInferenceRoutes } from "../../../../adapters/agent-registry/model/inference-routes.js";
import {
  type ModelAccessPlan,
  modelProviderNameFor,
  planModelAccess,
} from "../../../../adapters/agent-registry/model/plan-model-access.js";
import {
  prepareSandboxModelAccess,
  removeSandboxModelAccess,
} from "../../../../adapters/agent-registry/model/sandbox-model-access.js";
import { agentPolicy } from "../../../../adapters/agent-registry/policy/agent-policy.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../../support/test-engines.js";
import { IDLE } from "../../local/local-gateway-support.js";

type Kind = "docker" | "podman";

const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));

/**
 * The registry's echo-agent deployment (anthropic, egressHosts) with a fresh uid, so its names are
 * its own; without its modelRef (the Bedrock Model) unless `withModelRef`.
 */
function applyInput(withModelRef = false): ApplyInput {
  const deployment = load("deployment-a2a.json") as {
    metadata: Record<string, unknown>;
    spec: Record<string, unknown>;
  };
  const { modelRef: _, ...withoutRef } = deployment.spec;
  const spec = withModelRef ? deployment.spec : withoutRef;
  return parseApplyInput({
    deployment: { ...deployment, metadata: { ...deployment.metadata, uid: randomUUID() }, spec },
    target: load("agent-a2a.json"),
    runtime: load("runtime-local.json"),
  });
}

/** A key shaped like a real Anthropic key, different each run. */
const secretKey = () => `sk-ant-api03-${randomBytes(48).toString("base64url")}`;

function rawPlan(plan: ModelAccessPlan | undefined) {
  if (plan === undefined || plan.viaInference) throw new Error("expected a plan with a provider");
  return plan;
}

/** What the gateway's egress proxy answers a CONNECT from inside the sandbox: its status line. */
async function connectThroughProxy(sandbox: Sandbox, host: string, port: number): Promise<string> {
  const result = await sandbox.exec([
    "sh",
    "-c",
    `p=\${https_proxy#http://}; printf 'CONNECT ${host}:${port} HTTP/1.1\\r\\nHost: ${host}:${port}\\r\\n\\r\\n' | nc -w 5 \${p%:*} \${p##*:} | head -n 1`,
  ]);
  return result.stdout.trim();
}

/** The gateway's egress log lines of the sandbox, once one mentions `text` (or as they are after 10 s). */
async function egressLines(sandbox: Sandbox, text: string): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = (await sandbox.logs({ sources: ["gateway"] }))
      .map((line) => line.message)
      .filter((message) => message.startsWith("egress"));
    if (lines.some((line) => line.includes(text)) || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Model access for a deployed agent on OpenShell.local() over a real engine: the sandbox made with
 * agentPolicy is accepted and READY and reaches its model host only, the provider made by
 * ensureModelProvider holds the key without the sandbox ever seeing it, and removeModelProvider
 * removes it, twice without error. The model hosts resolve to this host's loopback (nothing
 * listens on 443 there), so an allowed tunnel fails upstream (502) while a denied one is refused (403).
 */
export function describeAgentPolicy(kind: Kind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  let os: OpenShell;

  beforeAll(async () => {
    os = await OpenShellClient.local({
      runtime: kind,
      runtimeOptions: { endpoint },
      ephemeral: true,
      egressHosts: { "api.anthropic.com": "127.0.0.1", "api.openai.com": "127.0.0.1" },
    });
  });
  afterAll(async () => {
    await os?.close();
  });

  it("an anthropic agent: policy accepted, READY, model host only, key not in the sandbox, provider removed", async () => {
    const input = applyInput();
    const secret = secretKey();
    // The local gateway has no inference route: raw credentials it is.
    expect(await readInferenceRoutes(os)).toEqual([]);
    const plan = rawPlan(
      planModelAccess({
        ...input,
        config: input.config,
        env: { ANTHROPIC_API_KEY: secret, PATH: "/usr/bin" },
      }),
    );

    const first = await ensureModelProvider(os, plan);
    expect(first?.action).toBe("created");
    expect(first?.provider).toMatchObject({
      name: plan.provider.name,
      type: "claude-code",
      credentialKeys: ["ANTHROPIC_API_KEY"],
    });
    expect(inspect(first, { depth: 10 })).not.toContain(secret);
    // Idempotent: the same plan again changes nothing.
    const again = await ensureModelProvider(os, plan);
    expect(again?.action).toBe("unchanged");
    expect(again?.provider.resourceVersion).toBe(first?.provider.resourceVersion);

    const sandbox = await os.sandboxes.create({
      name: sandboxNameFor(input.deployment),
      image: testImages.sandbox,
      command: IDLE,
      env: { ...input.deployment.spec.env, ...plan.env },
      policy: agentPolicy({ hosts: plan.hosts, egressHosts: input.config.egressHosts ?? [] }),
      providers: [plan.provider.name],
    });
    try {
      await sandbox.ready({ timeoutMs: 60_000 });
      expect((await os.providers.listForSandbox(sandbox.name)).map((p) => p.name)).toEqual([
        plan.provider.name,
      ]);

      const env = (await sandbox.exec(["env"])).stdout;
      expect(env).toContain("MODEL_PROVIDER=anthropic\n");
      expect(env).toContain("MODEL_NAME=claude-sonnet-4-5\n");
      expect(env).not.toContain(secret);
      // The attached provider's key is there as a placeholder only, which the proxy resolves.
      expect(env).toMatch(/^ANTHROPIC_API_KEY=openshell:resolve:env:\S+$/m);

      expect(await connectThroughProxy(sandbox, "api.anthropic.com", 443)).toMatch(/^HTTP\/1\.1 502/);
      expect(await egressLines(sandbox, "CONNECT api.anthropic.com:443")).toContainEqual(
        expect.stringContaining(
          `egress allowed for sandbox "${sandbox.name}": CONNECT api.anthropic.com:443 (rule "agent-model")`,
        ),
      );
      expect(await connectThroughProxy(sandbox, "api.openai.com", 443)).toMatch(/^HTTP\/1\.1 403/);
      expect(await egressLines(sandbox, "CONNECT api.openai.com:443")).toContainEqual(
        expect.stringContaining(
          `egress denied for sandbox "${sandbox.name}": CONNECT api.openai.com:443 (no rule)`,
        ),
      );
      // Not even the model host on another port.
      expect(await connectThroughProxy(sandbox, "api.anthropic.com", 80)).toMatch(/^HTTP\/1\.1 403/);

      // The gateway keeps an attached provider: remove the sandbox first.
      await expect(removeModelProvider(os, plan.provider.name)).rejects.toBeInstanceOf(
        FailedPreconditionError,
      );
    } finally {
      await sandbox.delete();
      await sandbox.deleted({ timeoutMs: 30_000 });
    }
    expect(await removeModelProvider(os, plan.provider.name)).toBe(true);
    expect(await removeModelProvider(os, plan.provider.name)).toBe(false);
    await expect(os.providers.get(plan.provider.name)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("ensureModelProvider updates a changed key, keeps an unchanged one, and removes keys no longer given", async () => {
    const input = applyInput();
    const plan = (env: Record<string, string>, credentialEnv?: string[]) =>
      rawPlan(
        planModelAccess({ ...input, config: credentialEnv === undefined ? {} : { credentialEnv }, env }),
      );
    const name = plan({ ANTHROPIC_API_KEY: secretKey() }).provider.name;
    try {
      expect((await ensureModelProvider(os, plan({ ANTHROPIC_API_KEY: secretKey() })))?.action).toBe(
        "created",
      );
      const rotated = secretKey();
      expect((await ensureModelProvider(os, plan({ ANTHROPIC_API_KEY: rotated })))?.action).toBe("updated");
      expect((await ensureModelProvider(os, plan({ ANTHROPIC_API_KEY: rotated })))?.action).toBe("unchanged");

      const withExtra = plan({ KEY: rotated, ORG: "org-1" }, ["KEY", "ORG"]);
      const extra = await ensureModelProvider(os, withExtra);
      expect(extra).toMatchObject({
        action: "updated",
        provider: { credentialKeys: ["ANTHROPIC_API_KEY", "ORG"] },
      });
      const back = await ensureModelProvider(os, plan({ ANTHROPIC_API_KEY: rotated }));
      expect(back).toMatchObject({ action: "updated", provider: { credentialKeys: ["ANTHROPIC_API_KEY"] } });
    } finally {
      await removeModelProvider(os, name);
    }
    await expect(os.providers.get(name)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("prepareSandboxModelAccess for a Bedrock Model: provider made, sandbox READY with its policy, removed twice", async () => {
    const input = applyInput(true);
    const secret = `aws-${randomBytes(30).toString("base64url")}`;
    const asked: unknown[] = [];
    const access = await prepareSandboxModelAccess(
      {
        client: os,
        env: { PROD_KEY_ID: "AKIAIOSFODNN7EXAMPLE", PROD_SECRET: secret },
        resolveModel: async (ref) => {
          asked.push(ref);
          return load("model-bedrock.json");
        },
      },
      { ...input, config: { ...input.config, credentialEnv: ["PROD_KEY_ID", "PROD_SECRET"] } },
      new AbortController().signal,
    );
    expect(asked).toEqual([{ name: "claude-on-bedrock" }]);
    const name = modelProviderNameFor(input.deployment);
    expect(access.providers).toEqual([name]);
    expect(access.env).toEqual({
      MODEL_PROVIDER: "bedrock",
      MODEL_NAME: "us.anthropic.claude-sonnet-4-5",
      AWS_REGION: "us-east-1",
    });
    expect(access.policy.networkPolicies["agent-model"]?.endpoints).toEqual([
      {
        host: "bedrock-runtime.us-east-1.amazonaws.com",
        port: 443,
        protocol: "rest",
        enforcement: "enforce",
        access: "full",
      },
    ]);
    expect(await os.providers.get(name)).toMatchObject({
      type: "aws-bedrock",
      credentialKeys: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
      config: { AWS_REGION: "us-east-1" },
    });

    const sandbox = await os.sandboxes.create({
      name: sandboxNameFor(input.deployment),
      image: testImages.sandbox,
      command: IDLE,
      env: access.env,
      policy: access.policy,
      providers: access.providers,
    });
    try {
      await sandbox.ready({ timeoutMs: 60_000 });
      const env = (await sandbox.exec(["env"])).stdout;
      expect(env).toContain("AWS_REGION=us-east-1\n");
      expect(env).not.toContain(secret);
      expect(await connectThroughProxy(sandbox, "tools.example.org", 443)).toMatch(/^HTTP\/1\.1 403/);
    } finally {
      await sandbox.delete();
      await sandbox.deleted({ timeoutMs: 30_000 });
    }
    await removeSandboxModelAccess(os, input.deployment);
    await removeSandboxModelAccess(os, input.deployment);
    await expect(os.providers.get(name)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a canceled ensureModelProvider or removeModelProvider rejects with CanceledError and changes nothing", async () => {
    const input = applyInput();
    const plan = rawPlan(planModelAccess({ ...input, env: { ANTHROPIC_API_KEY: secretKey() } }));
    const canceled = AbortSignal.abort();
    await expect(ensureModelProvider(os, plan, { signal: canceled })).rejects.toBeInstanceOf(CanceledError);
    await expect(os.providers.get(plan.provider.name)).rejects.toBeInstanceOf(NotFoundError);
    await ensureModelProvider(os, plan);
    await expect(removeModelProvider(os, plan.provider.name, { signal: canceled })).rejects.toBeInstanceOf(
      CanceledError,
    );
    expect((await os.providers.get(plan.provider.name)).name).toBe(plan.provider.name);
    expect(await removeModelProvider(os, plan.provider.name)).toBe(true);
  });

  it("an agent through inference.local: no provider of its own, no model host, the route's key added by the gateway", async () => {
    const input = applyInput();
    const secret = secretKey();
    const calls: { url: string; apiKey: string | undefined; model: string | undefined }[] = [];
    const upstream = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        const model = (JSON.parse(body || "{}") as { model?: string }).model;
        calls.push({ url: req.url ?? "", apiKey: req.headers["x-api-key"] as string | undefined, model });
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ type: "message", model, content: [{ type: "text", text: "hi" }] }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const routeProvider = `team-anthropic-${randomBytes(3).toString("hex")}`;
    try {
      await os.providers.create({
        name: routeProvider,
        type: "anthropic",
        credentials: { ANTHROPIC_API_KEY: secret },
        config: { ANTHROPIC_BASE_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1` },
      });
      await os.inference.setRoute({ provider: routeProvider, model: "claude-haiku-4-5", verify: false });
      const routes = await readInferenceRoutes(os);
      expect(routes).toEqual([
        {
          routeName: "inference.local",
          provider: routeProvider,
          providerType: "anthropic",
          model: "claude-haiku-4-5",
        },
      ]);
      const plan = planModelAccess({ ...input, env: {}, inferenceRoutes: routes });
      expect(plan).toMatchObject({ viaInference: true, hosts: [] });
      if (plan === undefined) throw new Error("expected a plan");
      expect(await ensureModelProvider(os, plan)).toBe(undefined);

      // curl checks TLS certificates; the image has no USER, so the policy names one.
      await using sandbox = await os.sandboxes.create({
        name: sandboxNameFor(input.deployment),
        image: testImages.curl,
        command: IDLE,
        env: plan.env,
        policy: {
          ...agentPolicy({ hosts: plan.hosts }),
          process: { runAsUser: "1000", runAsGroup: "1000" },
        },
      });
      await sandbox.ready({ timeoutMs: 60_000 });
      const reply = await sandbox.exec([
        "sh",
        "-c",
        'curl -sS --fail-with-body -H "x-api-key: $ANTHROPIC_API_KEY" -H "content-type: application/json" ' +
          `-d "{\\"model\\":\\"$MODEL_NAME\\",\\"max_tokens\\":8,\\"messages\\":[]}" "$ANTHROPIC_BASE_URL/v1/messages"`,
      ]);
      expect(reply.stderr).toBe("");
      expect(JSON.parse(reply.stdout)).toMatchObject({ type: "message", model: "claude-haiku-4-5" });
      expect(calls).toEqual([{ url: "/v1/messages", apiKey: secret, model: "claude-haiku-4-5" }]);
      expect((await sandbox.exec(["env"])).stdout).not.toContain(secret);
      // No model host of its own: the agent's policy allows nothing but inference.local.
      const direct = await sandbox.exec([
        "sh",
        "-c",
        "curl -sS https://api.anthropic.com/v1/messages 2>&1; echo exit=$?",
      ]);
      expect(direct.stdout).toContain("403");
    } finally {
      await os.inference.deleteRoute();
      await os.providers.delete(routeProvider);
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
}
