import { describe, expect, it } from "vitest";
import { SandboxCredentials } from "../../../../src/local/credentials/sandbox-credentials.js";
import type { RewriteOutcome } from "../../../../src/local/egress/request-rewrite.js";
import { harnessPerTest } from "../handlers/handler-harness.js";
import { FIRST, githubSandbox, SECOND, sendBearer } from "./sandbox-credentials-fixture.js";

/**
 * Local mode's provider credentials over a real state store and the real provider handlers: what a
 * sandbox's processes get, and what the egress proxy then makes of their requests.
 */

const h = harnessPerTest();
function credentials(): SandboxCredentials {
  return new SandboxCredentials({
    store: h.store,
    sandbox: (id) => h.sandboxes.sandboxes.get(id),
    log: (id, level, message) => h.sandboxes.gatewayLog(id, level, message),
  });
}

const sentToken = (out: RewriteOutcome) => (out.kind === "rewritten" ? out.rawHeaders[1] : out.kind);

describe("sandbox credentials", () => {
  it("gives a process a placeholder that the proxy resolves only for the credential's endpoints", async () => {
    const sandbox = await githubSandbox(h);
    const creds = credentials();
    const env = creds.environment(sandbox);
    const placeholder = env.GITHUB_TOKEN as string;
    expect(placeholder).toMatch(/^openshell:resolve:env:v[0-9]+_GITHUB_TOKEN$/);

    expect(sentToken(sendBearer(creds, sandbox, placeholder))).toBe(`Bearer ${FIRST}`);
    expect(sendBearer(creds, sandbox, placeholder, "evil.test")).toMatchObject({
      kind: "refused",
      status: 403,
      code: "credential_endpoint_mismatch",
    });
    // A placeholder never issued to the sandbox, or for a key it does not have: 500, as upstream.
    expect(sendBearer(creds, sandbox, "openshell:resolve:env:v1_GITHUB_TOKEN")).toMatchObject({
      status: 500,
    });
    expect(sendBearer(creds, sandbox, "openshell:resolve:env:GITHUB_TOKEN")).toMatchObject({ status: 500 });
    const unknown = sendBearer(creds, sandbox, "openshell:resolve:env:v5_NOT_ATTACHED");
    expect(unknown).toMatchObject({ status: 500, code: "credential_unavailable" });

    const logs = sandbox.logs.map((l) => l.message).join("\n");
    expect(logs).toContain("GITHUB_TOKEN");
    expect(logs).not.toContain(FIRST);
  });

  it("gives a new process a new revision after the provider changes; an old placeholder resolves to the new value", async () => {
    const sandbox = await githubSandbox(h);
    const creds = credentials();
    const old = creds.environment(sandbox).GITHUB_TOKEN as string;
    const current = await h.client.getProvider({ name: "gh" });
    await h.client.updateProvider({
      provider: {
        metadata: { name: "gh", resourceVersion: current.provider?.metadata?.resourceVersion ?? 0n },
        credentials: { GITHUB_TOKEN: SECOND },
      },
    });
    const fresh = creds.environment(sandbox).GITHUB_TOKEN as string;
    expect(fresh).not.toBe(old);
    expect(sentToken(sendBearer(creds, sandbox, fresh))).toBe(`Bearer ${SECOND}`);
    expect(sentToken(sendBearer(creds, sandbox, old))).toBe(`Bearer ${SECOND}`);
  });

  it("keeps resolving a running process's placeholder after the gateway restarts", async () => {
    const sandbox = await githubSandbox(h);
    const placeholder = credentials().environment(sandbox).GITHUB_TOKEN as string;
    h.reopen();
    expect(sentToken(sendBearer(credentials(), sandbox, placeholder))).toBe(`Bearer ${FIRST}`);
  });

  it("stops resolving once the provider is detached, or replaced by another of the same name", async () => {
    const sandbox = await githubSandbox(h);
    const creds = credentials();
    const placeholder = creds.environment(sandbox).GITHUB_TOKEN as string;
    await h.client.detachSandboxProvider({ sandboxName: "agent", providerName: "gh" });
    expect(creds.environment(sandbox)).toEqual({});
    expect(sendBearer(creds, sandbox, placeholder)).toMatchObject({ kind: "refused", status: 500 });

    await h.client.deleteProvider({ name: "gh" });
    await h.client.createProvider({
      provider: { metadata: { name: "gh" }, type: "github", credentials: { GITHUB_TOKEN: SECOND } },
    });
    await h.client.attachSandboxProvider({ sandboxName: "agent", providerName: "gh" });
    // The old process's placeholder was the deleted provider's: it never reaches the new one's value.
    expect(sendBearer(creds, sandbox, placeholder)).toMatchObject({ kind: "refused", status: 500 });
    const fresh = creds.environment(sandbox).GITHUB_TOKEN as string;
    expect(sentToken(sendBearer(creds, sandbox, fresh))).toBe(`Bearer ${SECOND}`);
  });

  it("refuses a placeholder once its credential has expired, and gives new processes none", async () => {
    const expiresAtMs = Date.now() + 60_000;
    await h.client.createProvider({
      provider: {
        metadata: { name: "gh" },
        type: "github",
        credentials: { GITHUB_TOKEN: FIRST },
        credentialExpiresAtMs: { GITHUB_TOKEN: BigInt(expiresAtMs) },
      },
    });
    const sandbox = h.createSandbox("agent", { providers: ["gh"] });
    let now = expiresAtMs - 1000;
    const creds = new SandboxCredentials({
      store: h.store,
      sandbox: (id) => h.sandboxes.sandboxes.get(id),
      now: () => now,
    });
    const placeholder = creds.environment(sandbox).GITHUB_TOKEN as string;
    expect(sentToken(sendBearer(creds, sandbox, placeholder))).toBe(`Bearer ${FIRST}`);
    now = expiresAtMs + 1;
    const refused = sendBearer(creds, sandbox, placeholder);
    expect(refused).toMatchObject({ kind: "refused", status: 500 });
    expect(creds.environment(sandbox)).toEqual({});
  });

  it("logs what it withholds once per revision, naming the provider and never a value", async () => {
    await h.client.createProvider({
      provider: { metadata: { name: "llm" }, type: "openai", credentials: { OPENAI_API_KEY: "sk-real" } },
    });
    const sandbox = h.createSandbox("agent", { providers: ["llm"] });
    const creds = credentials();
    expect(creds.environment(sandbox)).toEqual({});
    creds.environment(sandbox);
    const warnings = sandbox.logs.filter((l) => l.level === "WARN");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('provider "llm" has a type with no provider profile');
    expect(warnings[0]?.message).not.toContain("sk-real");
  });
});
