import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { retryInterceptor } from "../../../src/connect/retry-interceptor.js";
import { OpenShell, SandboxPhase } from "../../../src/gen/openshell/v1/openshell_pb.js";

/** A gateway that fails the first `failures` calls of each method with `code`. */
function flakyGateway(failures: number, code: Code) {
  const calls = { getSandbox: 0, createSandbox: 0 };
  const transport = createRouterTransport(
    ({ service }) => {
      service(OpenShell, {
        getSandbox(req) {
          calls.getSandbox++;
          if (calls.getSandbox <= failures) throw new ConnectError("gateway restarting", code);
          return { sandbox: { metadata: { name: req.name }, status: { phase: SandboxPhase.READY } } };
        },
        createSandbox() {
          calls.createSandbox++;
          throw new ConnectError("gateway restarting", code);
        },
      });
    },
    { transport: { interceptors: [retryInterceptor({ retries: 3, minDelayMs: 1, maxDelayMs: 5 })] } },
  );
  return { client: createClient(OpenShell, transport), calls };
}

describe("retryInterceptor", () => {
  it("retries an idempotent call on UNAVAILABLE until it succeeds", async () => {
    const { client, calls } = flakyGateway(2, Code.Unavailable);
    const res = await client.getSandbox({ name: "demo" });
    expect(res.sandbox?.metadata?.name).toBe("demo");
    expect(calls.getSandbox).toBe(3);
  });

  it("gives up after the configured retries with the gateway's error", async () => {
    const { client, calls } = flakyGateway(10, Code.Unavailable);
    await expect(client.getSandbox({ name: "demo" })).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls.getSandbox).toBe(4);
  });

  it("never retries a mutation", async () => {
    const { client, calls } = flakyGateway(10, Code.Unavailable);
    await expect(client.createSandbox({ name: "demo" })).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls.createSandbox).toBe(1);
  });

  it("does not retry other codes", async () => {
    const { client, calls } = flakyGateway(1, Code.NotFound);
    await expect(client.getSandbox({ name: "demo" })).rejects.toMatchObject({ code: Code.NotFound });
    expect(calls.getSandbox).toBe(1);
  });

  it("stops retrying when the caller aborts", async () => {
    let attempts = 0;
    const slow = createClient(
      OpenShell,
      createRouterTransport(
        ({ service }) =>
          service(OpenShell, {
            getSandbox() {
              attempts++;
              throw new ConnectError("down", Code.Unavailable);
            },
          }),
        { transport: { interceptors: [retryInterceptor({ retries: 50, minDelayMs: 50, maxDelayMs: 50 })] } },
      ),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 120);
    const started = Date.now();
    await expect(slow.getSandbox({ name: "demo" }, { signal: controller.signal })).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(attempts).toBeLessThan(10);
  });
});
