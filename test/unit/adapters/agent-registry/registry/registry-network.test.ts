import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { CanceledError, TimeoutError, UnavailableError } from "openshell";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryUnreachableError } from "../../../../../adapters/agent-registry/registry/errors.js";
import { RegistryClient } from "../../../../../adapters/agent-registry/registry/registry-client.js";
import { rejection } from "../../../../support/agent-registry/registry-test-kit.js";

// Real sockets, no msw: a port nothing listens on, and an HTTP server that takes requests and never
// answers them (a registry hung on its database).

async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let silent: Server;
let silentUrl: string;
const arrived: IncomingMessage[] = [];
const closed: IncomingMessage[] = [];
const waiters: (() => void)[] = [];

beforeAll(async () => {
  silent = createServer((request) => {
    arrived.push(request);
    request.socket.on("close", () => closed.push(request));
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});

afterAll(async () => {
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const nextRequest = () => new Promise<void>((resolve) => waiters.push(resolve));

async function eventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("RegistryClient over real sockets", () => {
  it("a closed port: the registry at <baseUrl> is unreachable, check ARCTL_API_BASE_URL", async () => {
    const port = await closedPort();
    const client = new RegistryClient({ env: { ARCTL_API_BASE_URL: `127.0.0.1:${port}` } });
    const error = await rejection(client.getAgent("echo"));
    expect(error).toBeInstanceOf(RegistryUnreachableError);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as RegistryUnreachableError).baseUrl).toBe(`http://127.0.0.1:${port}`);
    expect(error.message).toBe(
      `the agent registry at http://127.0.0.1:${port} is unreachable (ECONNREFUSED: connect ECONNREFUSED ` +
        `127.0.0.1:${port}): check that it is running and that ARCTL_API_BASE_URL (or the baseUrl option) points at it.`,
    );
  });

  it("a registry that does not answer: TimeoutError after timeoutMs, and the connection is closed", async () => {
    const client = new RegistryClient({ baseUrl: silentUrl, env: {} });
    const started = Date.now();
    const error = await rejection(client.listDeployments({ timeoutMs: 300 }));
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe(
      `the agent registry at ${silentUrl} did not answer GET /v0/deployments within 300 ms: check that it is ` +
        "running and that ARCTL_API_BASE_URL (or the baseUrl option) points at it, or give the call a longer timeoutMs.",
    );
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(3_000);
    const request = arrived.at(-1);
    expect(request?.url).toBe("/v0/deployments");
    await eventually(() => closed.includes(request as IncomingMessage));
  });

  it("the client's timeoutMs applies when the call gives none", async () => {
    const client = new RegistryClient({ baseUrl: silentUrl, timeoutMs: 200, env: {} });
    const error = await rejection(client.getRuntime("r"));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toContain("within 200 ms");
  });

  it("the caller's signal cancels a request in flight with CanceledError, closing its connection", async () => {
    const client = new RegistryClient({ baseUrl: silentUrl, env: {} });
    const controller = new AbortController();
    const arrival = nextRequest();
    const call = rejection(client.getDeploymentLogs("echo", { tailLines: 10, signal: controller.signal }));
    await arrival;
    const request = arrived.at(-1) as IncomingMessage;
    expect(request.url).toBe("/v0/deployments/echo/logs?tailLines=10");
    controller.abort();
    const error = await call;
    expect(error).toBeInstanceOf(CanceledError);
    expect(error.message).toBe(
      `GET /v0/deployments/echo/logs to the agent registry at ${silentUrl}: canceled by the caller's AbortSignal`,
    );
    await eventually(() => closed.includes(request));
  });

  it("an already-aborted signal sends nothing", async () => {
    const client = new RegistryClient({ baseUrl: silentUrl, env: {} });
    const before = arrived.length;
    const error = await rejection(client.getModel("m", { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(CanceledError);
    expect(error.message).toContain("before it started");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(arrived.length).toBe(before);
  });
});
