import { describe, expect, it, vi } from "vitest";
import { SandboxCredentials } from "../../../../src/local/credentials/sandbox-credentials.js";
import type { LocalStateStore } from "../../../../src/local/state/state-store.js";
import { type FakeSandbox, harnessPerTest } from "../handlers/handler-harness.js";
import { githubSandbox, sandboxClient } from "./sandbox-credentials-fixture.js";

/**
 * Whether a sandbox holds credentials, which arms the egress proxy's request-body backstop as
 * upstream's "the sandbox has a secret resolver" does: true exactly while its provider environment
 * gives it at least one credential, answered from the cache the proxy resolves placeholders from.
 */

const h = harnessPerTest();

function credentials(): SandboxCredentials {
  return new SandboxCredentials({ store: h.store, sandbox: (id) => h.sandboxes.sandboxes.get(id) });
}

/** What the egress proxy asks: the rewriter's own hook, for the sandbox's client. */
function holds(creds: SandboxCredentials, sandbox: FakeSandbox): boolean {
  const hook = creds.rewrite.holdsCredentials;
  if (hook === undefined) throw new Error("the rewriter has no holdsCredentials hook");
  return hook(sandboxClient(sandbox));
}

async function provider(name: string, type: string, credentials: Record<string, string>): Promise<void> {
  await h.client.createProvider({ provider: { metadata: { name }, type, credentials } });
}

/** Counts every call into the state store's records. */
function countRecordReads(store: LocalStateStore): () => number {
  const get = vi.spyOn(store.records, "get");
  const list = vi.spyOn(store.records, "list");
  return () => get.mock.calls.length + list.mock.calls.length;
}

describe("SandboxCredentials.rewrite.holdsCredentials", () => {
  it("is false for a sandbox without providers, without reading the store", () => {
    const sandbox = h.createSandbox("plain");
    const creds = credentials();
    const reads = countRecordReads(h.store);
    expect(holds(creds, sandbox)).toBe(false);
    expect(reads()).toBe(0);
  });

  it("is true for a sandbox whose provider gives it a credential, from the cache after the first ask", async () => {
    const sandbox = await githubSandbox(h);
    const creds = credentials();
    expect(holds(creds, sandbox)).toBe(true);
    const reads = countRecordReads(h.store);
    for (let i = 0; i < 20; i++) expect(holds(creds, sandbox)).toBe(true);
    expect(reads()).toBe(0);
  });

  it("is false once the provider is detached, and while every credential is withheld", async () => {
    const sandbox = await githubSandbox(h);
    const creds = credentials();
    expect(holds(creds, sandbox)).toBe(true);
    await h.client.detachSandboxProvider({ sandboxName: "agent", providerName: "gh" });
    expect(holds(creds, sandbox)).toBe(false);

    // A provider type without a profile makes upstream's supervisor withhold every static credential.
    await provider("llm", "openai", { OPENAI_API_KEY: "sk-real" });
    await h.client.attachSandboxProvider({ sandboxName: "agent", providerName: "gh" });
    await h.client.attachSandboxProvider({ sandboxName: "agent", providerName: "llm" });
    expect(credentials().environment(sandbox)).toEqual({});
    expect(holds(creds, sandbox)).toBe(false);
  });

  it("is false for a client whose sandbox is gone", async () => {
    const sandbox = await githubSandbox(h);
    const creds = credentials();
    expect(holds(creds, sandbox)).toBe(true);
    h.sandboxes.sandboxes.delete(sandbox.id);
    expect(holds(creds, sandbox)).toBe(false);
  });
});
