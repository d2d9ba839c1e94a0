import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ApplyInput, parseApplyInput, sandboxNameFor } from "../../../adapters/agent-registry/index.js";
import {
  prepareSandboxModelAccess,
  removeSandboxModelAccess,
  type SandboxModelAccess,
} from "../../../adapters/agent-registry/model/sandbox-model-access.js";
import { agentPolicy, MODEL_RULE } from "../../../adapters/agent-registry/policy/agent-policy.js";
import { OpenShell, type Sandbox } from "../../../src/index.js";
import { createCertificateAuthority, issueServerCertificate } from "../../support/certs.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind } from "./local-gateway-support.js";

const MODEL_HOST = "integrate.api.nvidia.com";
const COMPLETIONS = `https://${MODEL_HOST}/v1/chat/completions`;

const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));

/**
 * The registry's echo-agent deployment made an NVIDIA agent: the Agent names `nvidia` (no Model),
 * the deployment has no egressHosts, and a fresh uid so its names are its own.
 */
function nvidiaDeployment(): ApplyInput {
  const deployment = load("deployment-a2a.json") as { metadata: object; spec: Record<string, unknown> };
  const { modelRef: _ref, runtimeConfig, ...spec } = deployment.spec;
  const { egressHosts: _hosts, credentialEnv: _env, ...config } = runtimeConfig as Record<string, unknown>;
  const agent = load("agent-a2a.json") as { spec: Record<string, unknown> };
  return parseApplyInput({
    deployment: {
      ...deployment,
      metadata: { ...deployment.metadata, uid: randomUUID() },
      spec: { ...spec, runtimeConfig: config },
    },
    target: {
      ...agent,
      spec: { ...agent.spec, modelProvider: "nvidia", modelName: "meta/llama-3.1-8b-instruct" },
    },
    runtime: load("runtime-local.json"),
  });
}

/** The model API on this host: a loopback address of its own on port 443, its own CA. */
async function startModelApi(ca: Awaited<ReturnType<typeof createCertificateAuthority>>) {
  const octet = (min: number) => min + Math.floor(Math.random() * 250);
  const address = `127.${octet(1)}.${octet(0)}.${octet(2)}`;
  const seen: string[] = [];
  const server: Server = createServer(
    await issueServerCertificate(ca, { dnsNames: [MODEL_HOST] }),
    (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"object":"chat.completion","choices":[{"message":{"content":"hi"}}]}\n');
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(443, address, resolve);
  });
  return { server, address, seen };
}

/** Runs `line` in a shell, printing what it printed and then its exit code. */
const shell = (line: string) => ["sh", "-c", `${line} 2>&1; echo "exit=$?"`];

/**
 * The policy the agent-registry adapter generates for an NVIDIA agent, unchanged, in local mode on
 * one engine, with `binaries` added by the user: the adapter's own model access
 * (prepareSandboxModelAccess: an `nvidia` provider holding the key, attached), an HTTPS server on
 * this host posing as integrate.api.nvidia.com (its CA trusted by the gateway only), and curl in
 * the sandbox. The proxy terminates the TLS, lets curl's POST /v1/** through with the real key in
 * place of the placeholder, answers 403 to other methods and paths, and to another binary.
 */
export function describeAgentModelPolicy(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const secret = `nvapi-${randomBytes(24).toString("base64url")}`;
  let api: Awaited<ReturnType<typeof startModelApi>>;
  let os: OpenShell;
  let input: ApplyInput;
  let access: SandboxModelAccess;
  let sb: Sandbox;

  beforeAll(async () => {
    const ca = await createCertificateAuthority(`model-api-ca-${kind}`);
    api = await startModelApi(ca);
    os = await OpenShell.local({
      runtime: kind,
      runtimeOptions: { endpoint },
      ephemeral: true,
      egressHosts: { [MODEL_HOST]: api.address },
      egressTrustedCertificates: [ca.cert],
    });
    input = nvidiaDeployment();
    access = await prepareSandboxModelAccess(
      { client: os, env: { NVIDIA_API_KEY: secret } },
      input,
      new AbortController().signal,
    );
    const model = access.policy.networkPolicies[MODEL_RULE];
    if (model === undefined) throw new Error(`no ${MODEL_RULE} rule in ${JSON.stringify(access.policy)}`);
    sb = await os.sandboxes.create({
      name: sandboxNameFor(input.deployment),
      image: testImages.curl,
      command: IDLE,
      env: access.env,
      providers: access.providers,
      policy: {
        ...access.policy,
        networkPolicies: {
          ...access.policy.networkPolicies,
          // What the adapter cannot know: the agent's program (here curl, at its real path).
          [MODEL_RULE]: { ...model, binaries: [{ path: "/usr/bin/curl" }] },
        },
        // The image has no USER.
        process: { runAsUser: "1000", runAsGroup: "1000" },
      },
    });
    await sb.ready({ timeoutMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    if (sb !== undefined) {
      await sb.delete();
      await sb.deleted({ timeoutMs: 30_000 });
    }
    if (os !== undefined && input !== undefined) await removeSandboxModelAccess(os, input.deployment);
    await os?.close();
    await new Promise((resolve) => api?.server.close(resolve));
  });

  const denials = async () =>
    (await sb.logs({ sources: ["gateway"] }))
      .map((l) => l.message)
      .filter((m) => m.startsWith("egress denied"));

  it("is exactly agentPolicy for the NVIDIA host, with its provider attached and no key in the sandbox", async () => {
    expect(access.policy).toEqual(agentPolicy({ hosts: [{ host: MODEL_HOST, port: 443 }] }));
    expect(access.policy.networkPolicies[MODEL_RULE]?.endpoints).toEqual([
      {
        host: MODEL_HOST,
        port: 443,
        protocol: "rest",
        enforcement: "enforce",
        rules: [{ allow: { method: "POST", path: "/v1/**" } }],
      },
    ]);
    expect(access.providers).toHaveLength(1);
    expect((await os.providers.listForSandbox(sb.name)).map((p) => p.name)).toEqual(access.providers);
    const env = (await sb.exec(["env"])).stdout;
    expect(env).toMatch(/^NVIDIA_API_KEY=openshell:resolve:env:\S+$/m);
    expect(env).not.toContain(secret);
  });

  it("lets curl POST /v1/chat/completions over HTTPS with the real key in place of the placeholder", async () => {
    const result = await sb.exec(
      shell(
        `curl -sS -X POST -H "Authorization: Bearer $NVIDIA_API_KEY" -H 'content-type: application/json' ` +
          `-d '{"model":"meta/llama-3.1-8b-instruct","messages":[]}' ${COMPLETIONS}`,
      ),
    );
    expect(result.stdout).toBe(
      '{"object":"chat.completion","choices":[{"message":{"content":"hi"}}]}\nexit=0\n',
    );
    expect(api.seen).toContain(`POST /v1/chat/completions Bearer ${secret}`);
  });

  it("answers 403 to GET /v1/models and POST /v2/x (enforced POST /v1/** only); the API sees neither", async () => {
    const before = api.seen.length;
    const models = await sb.exec(shell(`curl -sS -i https://${MODEL_HOST}/v1/models`));
    expect(models.stdout).toMatch(/^HTTP\/1\.1 403 Forbidden/m);
    expect(models.stdout).toContain(
      `openshell egress proxy: rule "${MODEL_RULE}": no allow rule matches GET /v1/models`,
    );
    const v2 = await sb.exec(shell(`curl -sS -i -X POST -d x https://${MODEL_HOST}/v2/x`));
    expect(v2.stdout).toMatch(/^HTTP\/1\.1 403 Forbidden/m);
    expect(v2.stdout).toContain("no allow rule matches POST /v2/x");
    expect(api.seen.length).toBe(before);
  });

  it("refuses another binary (a copy of curl at /tmp/curl2) at CONNECT with 403 policy_denied", async () => {
    const before = api.seen.length;
    const copy = await sb.exec(
      shell(`cp /usr/bin/curl /tmp/curl2 && /tmp/curl2 -s -X POST -w '%{http_connect}\\n' ${COMPLETIONS}`),
    );
    expect(copy.stdout).toBe("403\nexit=56\n");
    expect(api.seen.length).toBe(before);
    const line = (await denials()).find((m) => m.includes(`CONNECT ${MODEL_HOST}:443`));
    expect(line).toContain(`rule "${MODEL_RULE}": policy_denied: binary /tmp/curl2`);
  });
}
