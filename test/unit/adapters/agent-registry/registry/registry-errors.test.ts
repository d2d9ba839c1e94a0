import { HttpResponse, http } from "msw";
import { ProtocolError } from "openshell";
import { describe, expect, it } from "vitest";
import {
  RegistryError,
  RegistryNotFoundError,
  RegistryResponseError,
} from "../../../../../adapters/agent-registry/registry/errors.js";
import { problemResponse, REGISTRY_URL } from "../../../../support/agent-registry/registry-handlers.js";
import { rejection, useFixtureRegistry } from "../../../../support/agent-registry/registry-test-kit.js";
import { openApiErrors } from "../openapi-validator.js";

const { deployment, server, client } = useFixtureRegistry();

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
