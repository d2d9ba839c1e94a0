import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { HttpResponse, http } from "msw";
import { InvalidArgumentError, ProtocolError } from "openshell";
import { afterEach, describe, expect, it } from "vitest";
import {
  RegistryError,
  RegistryNotFoundError,
  RegistryResponseError,
} from "../../../../../adapters/agent-registry/registry/errors.js";
import { RegistryClient } from "../../../../../adapters/agent-registry/registry/registry-client.js";
import {
  problemResponse,
  REGISTRY_URL,
  type ResourceJson,
  registryDouble,
} from "../../../../support/agent-registry/registry-handlers.js";
import { useRegistryServer } from "../../../../support/agent-registry/registry-server.js";
import { openApiErrors } from "../openapi-validator.js";

const load = (name: string): ResourceJson =>
  JSON.parse(readFileSync(new URL(`../../../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));

const TOKEN = "s3cret-registry-token";
const deployment = load("deployment-a2a.json");
const double = registryDouble({ agents: [load("agent-a2a.json")], deployments: [deployment] });
const server = useRegistryServer(...double.handlers);
const client = new RegistryClient({ baseUrl: REGISTRY_URL, env: {} });

afterEach(() => {
  server.resetHandlers();
  double.requests.length = 0;
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error("the call succeeded");
}

describe("RegistryClient: the registry's errors", () => {
  it("a 404 problem is a RegistryNotFoundError naming the resource, tag and namespace", async () => {
    const error = await rejection(client.getAgent("echo-agent", { tag: "9.9.9", namespace: "team-a" }));
    expect(error).toBeInstanceOf(RegistryNotFoundError);
    const notFound = error as RegistryNotFoundError;
    expect(notFound.code).toBe("not_found");
    expect(notFound.status).toBe(404);
    expect(notFound.title).toBe("Not Found");
    expect(notFound.detail).toBe('Agent "team-a"/"echo-agent"@"9.9.9" not found');
    expect(notFound.resource).toEqual({
      kind: "Agent",
      name: "echo-agent",
      tag: "9.9.9",
      namespace: "team-a",
    });
    expect(notFound.message).toBe(
      'the agent registry at http://registry.test has no Agent "echo-agent" tag "9.9.9" in namespace "team-a" ' +
        '(HTTP 404 Not Found: Agent "team-a"/"echo-agent"@"9.9.9" not found). ' +
        "Check the name, the tag and the namespace (the registry's default is default); if nothing is ever " +
        "found, check that ARCTL_API_BASE_URL (or the baseUrl option) points at the agent registry.",
    );
  });

  it("the logs of a deployment the registry does not have: 404 naming the Deployment", async () => {
    const error = await rejection(client.getDeploymentLogs("gone"));
    expect(error).toBeInstanceOf(RegistryNotFoundError);
    expect((error as RegistryNotFoundError).resource.kind).toBe("Deployment");
    expect(error.message).toContain(
      'has no Deployment "gone" (HTTP 404 Not Found: Deployment "default"/"gone" not found). ' +
        "Check the name and the namespace",
    );
  });

  it("a 500 problem is a RegistryError with code internal and what the registry said", async () => {
    server.use(
      http.get(`${REGISTRY_URL}/v0/deployments/:name`, () =>
        problemResponse(500, "Internal Server Error", "fetch Deployment", [
          { message: "connection refused" },
        ]),
      ),
    );
    const error = await rejection(client.getDeployment("echo-agent-prod"));
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).not.toBeInstanceOf(RegistryNotFoundError);
    const failed = error as RegistryError;
    expect([failed.code, failed.status, failed.title, failed.detail]).toEqual([
      "internal",
      500,
      "Internal Server Error",
      "fetch Deployment",
    ]);
    expect(failed.problems).toEqual([{ location: undefined, message: "connection refused" }]);
    expect(failed.message).toBe(
      "the agent registry at http://registry.test answered GET /v0/deployments/echo-agent-prod with HTTP 500 " +
        "Internal Server Error: fetch Deployment; connection refused. The registry failed: try again, and read " +
        "the registry's own logs.",
    );
  });

  it("a proxy's 502 page (not JSON) keeps its status, as code unavailable", async () => {
    server.use(
      http.get(
        `${REGISTRY_URL}/v0/runtimes/:name`,
        () => new HttpResponse("<html>Bad Gateway</html>", { status: 502, statusText: "Bad Gateway" }),
      ),
    );
    const error = (await rejection(client.getRuntime("openshell-local"))) as RegistryError;
    expect([error.code, error.status, error.title, error.detail]).toEqual([
      "unavailable",
      502,
      "Bad Gateway",
      "<html>Bad Gateway</html>",
    ]);
  });

  it("the registry refusing a cursor: 400 as invalid_argument", async () => {
    const error = (await rejection(client.listDeployments({ cursor: "not-a-cursor" }))) as RegistryError;
    expect([error.code, error.status, error.detail]).toEqual(["invalid_argument", 400, "invalid cursor"]);
  });
});

describe("RegistryClient: answers that are not what the registry's API promises", () => {
  it("a Deployment without spec.targetRef (the registry's schema rejects it too) names the field", async () => {
    const { targetRef: _dropped, ...spec } = deployment.spec as Record<string, unknown>;
    const malformed = { ...deployment, spec };
    expect(openApiErrors("Deployment", malformed)).toEqual(["/spec must have required property 'targetRef'"]);
    server.use(http.get(`${REGISTRY_URL}/v0/deployments/:name`, () => HttpResponse.json(malformed)));
    const error = await rejection(client.getDeployment("echo-agent-prod"));
    expect(error).toBeInstanceOf(RegistryResponseError);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as RegistryResponseError).field).toBe("spec.targetRef");
    expect(error.message).toMatch(
      /^the agent registry at http:\/\/registry\.test answered GET \/v0\/deployments\/echo-agent-prod with a Deployment that is not valid: spec\.targetRef: /,
    );
  });

  it("an invalid item in a page names its index", async () => {
    const { runtimeRef: _dropped, ...spec } = deployment.spec as Record<string, unknown>;
    const page = { items: [deployment, { ...deployment, spec }] };
    expect(openApiErrors("ListOutputDeploymentBody", page)).toContain(
      "/items/1/spec must have required property 'runtimeRef'",
    );
    server.use(http.get(`${REGISTRY_URL}/v0/deployments`, () => HttpResponse.json(page)));
    const error = (await rejection(client.listDeployments())) as RegistryResponseError;
    expect(error.field).toBe("items.1.spec.runtimeRef");
  });

  it("another kind where an Agent was asked for names kind", async () => {
    server.use(http.get(`${REGISTRY_URL}/v0/agents/:name`, () => HttpResponse.json(deployment)));
    const error = (await rejection(client.getAgent("echo-agent"))) as RegistryResponseError;
    expect(error.field).toBe("kind");
    expect(error.message).toContain("with an Agent that is not valid: kind: ");
  });

  it("a body that is not JSON says where it was sent", async () => {
    server.use(
      http.get(`${REGISTRY_URL}/v0/runtimes/:name`, () => HttpResponse.text("<html>welcome</html>")),
    );
    const error = (await rejection(client.getRuntime("x"))) as RegistryResponseError;
    expect(error.field).toBeUndefined();
    expect(error.message).toContain(
      'answered GET /v0/runtimes/x with HTTP 200 but not JSON (it starts with "<html>welcome</html>")',
    );
  });

  it("a registry that repeats a cursor ends the listing with a ProtocolError, not a loop", async () => {
    server.use(
      http.get(`${REGISTRY_URL}/v0/deployments`, () =>
        HttpResponse.json({ items: [deployment], nextCursor: "same" }),
      ),
    );
    const names: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const d of client.listAllDeployments()) names.push(d.metadata.name);
      })(),
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toContain("a nextCursor it had already given");
    expect(names).toEqual(["echo-agent-prod", "echo-agent-prod"]);
  });
});

describe("RegistryClient: the token", () => {
  it("is sent as Authorization: Bearer when set, and no Authorization header is sent when not", async () => {
    const guarded = registryDouble({ deployments: [deployment] }, { token: TOKEN });
    server.use(...guarded.handlers);
    const withToken = new RegistryClient({ baseUrl: REGISTRY_URL, token: TOKEN, env: {} });
    expect((await withToken.getDeployment("echo-agent-prod", { namespace: "team-a" })).metadata.name).toBe(
      "echo-agent-prod",
    );
    const error = (await rejection(
      client.getDeployment("echo-agent-prod", { namespace: "team-a" }),
    )) as RegistryError;
    expect(guarded.requests.map((r) => r.authorization)).toEqual([`Bearer ${TOKEN}`, null]);
    expect(error.code).toBe("unauthenticated");
    expect(error.message).toContain("No token was sent: set ARCTL_API_TOKEN (or the token option)");
  });

  it("never appears in an error, even when the registry echoes it", async () => {
    server.use(
      http.get(`${REGISTRY_URL}/v0/deployments/:name`, ({ request }) =>
        problemResponse(401, "Unauthorized", `token rejected: ${request.headers.get("authorization")}`),
      ),
    );
    const wrong = new RegistryClient({ baseUrl: REGISTRY_URL, token: TOKEN, env: {} });
    const error = (await rejection(wrong.getDeployment("x"))) as RegistryError;
    expect(error.detail).toBe("token rejected: Bearer [redacted]");
    expect(error.message).toContain("The registry refused the token");
    for (const shown of [
      error.message,
      String(error),
      error.stack ?? "",
      inspect(error),
      JSON.stringify(error),
    ]) {
      expect(shown).not.toContain(TOKEN);
    }
  });

  it("is not shown by toString, util.inspect or JSON.stringify of the client", () => {
    const withToken = new RegistryClient({
      baseUrl: "https://registry.example.com/v0/",
      token: TOKEN,
      env: {},
    });
    expect(String(withToken)).toBe("RegistryClient(https://registry.example.com, token set)");
    expect(inspect(withToken)).toBe("RegistryClient(https://registry.example.com, token set)");
    expect(JSON.stringify(withToken)).not.toContain(TOKEN);
    expect(withToken.hasToken).toBe(true);
    expect(String(client)).toBe("RegistryClient(http://registry.test)");
  });

  it("comes from ARCTL_API_TOKEN, the address from ARCTL_API_BASE_URL (bare host, /v0 suffix), options winning", async () => {
    const guarded = registryDouble({ deployments: [deployment] }, { token: "env-token" });
    server.use(...guarded.handlers);
    const fromEnv = new RegistryClient({
      env: { ARCTL_API_BASE_URL: "registry.test/v0", ARCTL_API_TOKEN: "env-token" },
    });
    expect(fromEnv.baseUrl).toBe("http://registry.test");
    await fromEnv.getDeployment("echo-agent-prod", { namespace: "team-a" });
    expect(guarded.requests[0]?.authorization).toBe("Bearer env-token");
    const option = new RegistryClient({
      baseUrl: "http://other:1",
      env: { ARCTL_API_BASE_URL: "registry.test" },
    });
    expect(option.baseUrl).toBe("http://other:1");
    expect(new RegistryClient({ env: {} }).baseUrl).toBe("http://localhost:12121");
  });
});

describe("RegistryClient: bad input is refused before any request, naming the field", () => {
  it.each([
    ["an empty name", () => client.getAgent(""), "name"],
    ["a name that is not a string", () => client.getDeployment(undefined as unknown as string), "name"],
    ["an empty tag", () => client.getModel("m", { tag: " " }), "tag"],
    [
      "tailLines over the registry's cap",
      () => client.getDeploymentLogs("d", { tailLines: 10_001 }),
      "tailLines",
    ],
    ["a fractional tailLines", () => client.getDeploymentLogs("d", { tailLines: 2.5 }), "tailLines"],
    ["a label key with a comma", () => client.listDeployments({ labels: { "a,b": "x" } }), "labels.a,b"],
    ["a label value with a comma", () => client.listDeployments({ labels: { a: "x,y" } }), "labels.a"],
    ["an unknown origin", () => client.listDeployments({ origin: "all" as "managed" }), "origin"],
    ["a zero limit", () => client.listDeployments({ limit: 0 }), "limit"],
    ["a negative timeoutMs", () => client.getRuntime("r", { timeoutMs: -1 }), "timeoutMs"],
    // Node would fire such a timer at once: the call would time out before it started.
    [
      "a timeoutMs past Node's longest timer",
      () => client.getRuntime("r", { timeoutMs: 2 ** 31 }),
      "timeoutMs",
    ],
    ["an unknown option", () => client.getRuntime("r", { tag: "1" } as object), "options"],
  ])("%s", async (_what, call, field) => {
    const error = await rejection(call());
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe(field);
    expect(double.requests).toEqual([]);
  });

  it("an address the client cannot use names baseUrl or ARCTL_API_BASE_URL, never quoting credentials", () => {
    const refused = (options: ConstructorParameters<typeof RegistryClient>[0]) => {
      try {
        new RegistryClient(options);
      } catch (error) {
        if (error instanceof InvalidArgumentError) return error;
      }
      throw new Error("accepted");
    };
    expect(refused({ baseUrl: "ftp://registry", env: {} }).field).toBe("baseUrl");
    expect(refused({ env: { ARCTL_API_BASE_URL: "http://[::1" } }).field).toBe("ARCTL_API_BASE_URL");
    const withPassword = refused({ baseUrl: "http://user:hunter2@registry", env: {} });
    expect(withPassword.message).not.toContain("hunter2");
    expect(withPassword.message).toContain("must not contain credentials");
  });

  it("the double itself refuses a query parameter the registry does not declare", async () => {
    const response = await fetch(`${REGISTRY_URL}/v0/deployments?tail=3&limit=x`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { detail: string };
    expect(body.detail).toContain("query parameter tail is not one of GET /v0/deployments's");
    expect(body.detail).toContain("query parameter limit=x is not an integer");
  });
});
