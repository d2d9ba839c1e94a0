import { readFileSync } from "node:fs";
import { RegistryClient } from "openshell/adapters/agent-registry";
import { afterEach } from "vitest";
import { REGISTRY_URL, type ResourceJson, registryDouble } from "./registry-handlers.js";
import { useRegistryServer } from "./registry-server.js";

/** A registry resource from test/fixtures/agent-registry/ (`agent-a2a.json`, ...). */
export function loadFixture(name: string): ResourceJson {
  return JSON.parse(readFileSync(new URL(`../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));
}

/** The error `promise` rejects with; fails the test when it resolves or rejects with a non-Error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error("the call succeeded");
}

/**
 * The registry most RegistryClient tests talk to: the A2A Agent and Deployment fixtures served by
 * msw for the calling file, a client of it without a token, and the requests it got (cleared, with
 * any handlers a test added, after each test).
 */
export function useFixtureRegistry() {
  const deployment = loadFixture("deployment-a2a.json");
  const double = registryDouble({ agents: [loadFixture("agent-a2a.json")], deployments: [deployment] });
  const server = useRegistryServer(...double.handlers);
  const client = new RegistryClient({ baseUrl: REGISTRY_URL, env: {} });
  afterEach(() => {
    server.resetHandlers();
    double.requests.length = 0;
  });
  return { deployment, double, server, client };
}
