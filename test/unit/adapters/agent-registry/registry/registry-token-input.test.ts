import { inspect } from "node:util";
import { http } from "msw";
import { InvalidArgumentError } from "openshell";
import { describe, expect, it } from "vitest";
import type { RegistryError } from "../../../../../adapters/agent-registry/registry/errors.js";
import { RegistryClient } from "../../../../../adapters/agent-registry/registry/registry-client.js";
import {
  problemResponse,
  REGISTRY_URL,
  registryDouble,
} from "../../../../support/agent-registry/registry-handlers.js";
import { rejection, useFixtureRegistry } from "../../../../support/agent-registry/registry-test-kit.js";

const TOKEN = "s3cret-registry-token";
const { deployment, double, server, client } = useFixtureRegistry();

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
