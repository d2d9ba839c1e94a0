import { join } from "node:path";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { OpenShell } from "../../../../src/gen/openshell/v1/openshell_pb.js";
import { credentialCacheOf } from "../../../../src/local/credentials/credential-cache.js";
import { SandboxCredentials } from "../../../../src/local/credentials/sandbox-credentials.js";
import { providerHandlers } from "../../../../src/local/handlers/provider-handlers.js";
import { gatewayErrorInterceptor } from "../../../../src/local/protocol/gateway-error-interceptor.js";
import { LocalStateStore } from "../../../../src/local/state/state-store.js";
import { type FakeSandbox, harnessPerTest } from "../handlers/handler-harness.js";
import { FIRST, githubSandbox, SECOND, sendBearer } from "./sandbox-credentials-fixture.js";

/**
 * The egress proxy resolves placeholders from a cached provider environment, as the gateway's two
 * users of it share it (the sandbox manager issues placeholders, the proxy resolves them): a
 * request costs no store read, and what the gateway changes (a provider, a policy, a deleted
 * sandbox) is seen by the next request; what another gateway process on the same state directory
 * changes, within the recheck window.
 */

const h = harnessPerTest();
/** The sandbox manager's instance (issues) and the egress proxy's (resolves), over one store. */
function gateway(now?: () => number) {
  const clock = now === undefined ? {} : { now };
  const issuer = new SandboxCredentials({ store: h.store, ...clock });
  const proxy = new SandboxCredentials({
    store: h.store,
    sandbox: (id) => h.sandboxes.sandboxes.get(id),
    ...clock,
  });
  return { issuer, proxy };
}

/** The Authorization the API would get, or the refusal's code, or the outcome's kind. */
function send(creds: SandboxCredentials, sandbox: FakeSandbox, token: string, host = "api.github.com") {
  const out = sendBearer(creds, sandbox, token, host);
  return out.kind === "rewritten" ? out.rawHeaders[1] : out.kind === "refused" ? out.code : out.kind;
}

/** Counts every call into the state store (its own methods and its records'). */
function countStoreCalls(store: LocalStateStore): () => number {
  const spies: { mock: { calls: unknown[] } }[] = [];
  for (const target of [store, store.records] as unknown as Record<string, unknown>[]) {
    const proto = Object.getPrototypeOf(target) as object;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || typeof target[name] !== "function") continue;
      spies.push(vi.spyOn(target as Record<string, () => unknown>, name));
    }
  }
  return () => spies.reduce((n, spy) => n + spy.mock.calls.length, 0);
}

describe("sandbox credentials' cache", () => {
  it("resolves requests after the first without reading the state store", async () => {
    const sandbox = await githubSandbox(h);
    const { issuer, proxy } = gateway();
    const placeholder = issuer.environment(sandbox).GITHUB_TOKEN as string;
    expect(send(proxy, sandbox, placeholder)).toBe(`Bearer ${FIRST}`);
    const calls = countStoreCalls(h.store);
    for (let i = 0; i < 50; i++) expect(send(proxy, sandbox, placeholder)).toBe(`Bearer ${FIRST}`);
    expect(calls()).toBe(0);
    // A new exec still reads the store (a change made anywhere reaches a new process at once).
    issuer.environment(sandbox);
    expect(calls()).toBeGreaterThan(0);
  });

  it("sees a provider update by the next request, an old placeholder resolving to the new value", async () => {
    const sandbox = await githubSandbox(h);
    const { issuer, proxy } = gateway();
    const old = issuer.environment(sandbox).GITHUB_TOKEN as string;
    expect(send(proxy, sandbox, old)).toBe(`Bearer ${FIRST}`);
    const current = await h.client.getProvider({ name: "gh" });
    await h.client.updateProvider({
      provider: {
        metadata: { name: "gh", resourceVersion: current.provider?.metadata?.resourceVersion ?? 0n },
        credentials: { GITHUB_TOKEN: SECOND },
      },
    });
    expect(send(proxy, sandbox, old)).toBe(`Bearer ${SECOND}`);
  });

  it("sees a policy update that moves a credential_binding by the next request", async () => {
    await h.client.createProvider({
      provider: { metadata: { name: "cloud" }, type: "aws", credentials: { AWS_ACCESS_KEY_ID: "AKIA-real" } },
    });
    const bindTo = (host: string) => ({
      networkPolicies: {
        store: { name: "store", endpoints: [{ host, port: 443, credentialBinding: { provider: "cloud" } }] },
      },
    });
    const sandbox = h.createSandbox("agent", { providers: ["cloud"], policy: bindTo("minio.test") });
    const { issuer, proxy } = gateway();
    const placeholder = issuer.environment(sandbox).AWS_ACCESS_KEY_ID as string;
    expect(send(proxy, sandbox, placeholder, "minio.test")).toBe("Bearer AKIA-real");

    await h.client.updateConfig({ name: "agent", policy: bindTo("other.test") });
    expect(send(proxy, sandbox, placeholder, "minio.test")).toBe("credential_endpoint_mismatch");
  });

  it("drops a deleted sandbox's environment, values included", async () => {
    const sandbox = await githubSandbox(h);
    const { issuer, proxy } = gateway();
    const placeholder = issuer.environment(sandbox).GITHUB_TOKEN as string;
    expect(send(proxy, sandbox, placeholder)).toBe(`Bearer ${FIRST}`);
    expect(credentialCacheOf(h.store).has(sandbox.id)).toBe(true);
    h.sandboxes.sandboxes.delete(sandbox.id);
    expect(send(proxy, sandbox, placeholder)).toBe("credential_unavailable");
    expect(credentialCacheOf(h.store).has(sandbox.id)).toBe(false);
  });

  it("sees another gateway process's provider update once its cached environment is 2 s old", async () => {
    const sandbox = await githubSandbox(h);
    let now = Date.now();
    const { issuer, proxy } = gateway(() => now);
    const placeholder = issuer.environment(sandbox).GITHUB_TOKEN as string;
    expect(send(proxy, sandbox, placeholder)).toBe(`Bearer ${FIRST}`);

    const other = LocalStateStore.open(join(h.dir, "state"));
    try {
      const otherGateway = createClient(
        OpenShell,
        createRouterTransport(
          (router) => router.service(OpenShell, providerHandlers({ store: other, sandboxes: h.sandboxes })),
          {
            router: { interceptors: [gatewayErrorInterceptor()] },
          },
        ),
      );
      const current = await otherGateway.getProvider({ name: "gh" });
      await otherGateway.updateProvider({
        provider: {
          metadata: { name: "gh", resourceVersion: current.provider?.metadata?.resourceVersion ?? 0n },
          credentials: { GITHUB_TOKEN: SECOND },
        },
      });
    } finally {
      other.close();
    }
    now += 2001;
    expect(send(proxy, sandbox, placeholder)).toBe(`Bearer ${SECOND}`);
  });
});
