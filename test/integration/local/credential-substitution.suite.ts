import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OpenShell, type Sandbox } from "../../../src/index.js";
import { testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";
import { expectEndpointMismatch } from "./support/credential-expectations.js";
import { closeAll, engineEndpoint, shell, startCredentialSandbox } from "./support/credential-gateway.js";
import { startTokenServer, type TokenServer } from "./token-api-server.js";

/**
 * The egress proxy puts the value in for the credential's bound endpoints only: `curl` in the
 * sandbox with the placeholder from its environment reaches the API, which sees the real token; the
 * same placeholder to a host it is not bound to is refused with 403 credential_endpoint_mismatch.
 */
export function describeCredentialSubstitution(kind: LocalKind): void {
  const endpoint = engineEndpoint(kind);
  const tokens = {
    current: `ghp_${kind}_ONE_${Math.random().toString(36).slice(2, 12)}`,
  };
  const providerName = uniqueName("gh");
  let api: TokenServer;
  let os: OpenShell;
  let sb: Sandbox;

  beforeAll(async () => {
    api = await startTokenServer(() => tokens.current);
    ({ os, sb } = await startCredentialSandbox({
      kind,
      token: tokens.current,
      provider: providerName,
      sandboxPrefix: "cred",
      egressHosts: { "api.github.com": api.address, "elsewhere.test": api.address },
      networkPolicies: {
        github: { endpoints: [{ host: "api.github.com", port: 443 }] },
        other: { endpoints: [{ host: "elsewhere.test", port: 443 }] },
      },
    }));
  }, 120_000);
  afterAll(() => closeAll(os, api));

  const curl = (host: string, extra = "") =>
    sb.exec(shell(`curl -sS ${extra} -H "Authorization: Bearer $GITHUB_TOKEN" http://${host}:443/user`));

  it("sends the real token to the bound API, which answers; the sandbox sees only the answer", async () => {
    const result = await curl("api.github.com");
    expect(result.stdout).toContain('"login":"octocat"');
    expect(result.stdout).toContain("exit=0");
    expect(api.seen.at(-1)).toBe(`Bearer ${tokens.current}`);
    expect(result.stdout).not.toContain(tokens.current);
    // Basic credentials with the placeholder as the password, as git sends them.
    const basic = await sb.exec(
      shell('curl -sS -u "x-access-token:$GITHUB_TOKEN" http://api.github.com:443/user'),
    );
    expect(basic.stdout).toContain("exit=0");
    expect(Buffer.from((api.seen.at(-1) ?? "").replace(/^Basic /, ""), "base64").toString()).toBe(
      `x-access-token:${tokens.current}`,
    );
  });

  it("refuses the placeholder to a host it is not bound to with 403 credential_endpoint_mismatch, sending nothing", async () => {
    const before = api.seen.length;
    const result = await curl("elsewhere.test", "-i");
    expectEndpointMismatch(result.stdout, tokens.current);
    expect(result.stdout).toContain("GITHUB_TOKEN");
    expect(api.seen.length).toBe(before);
    const logged = (await sb.logs({ sources: ["gateway"] })).map((line) => line.message);
    expect(logged).toContainEqual(
      expect.stringMatching(
        /egress denied .*elsewhere\.test.*credential_endpoint_mismatch: credential GITHUB_TOKEN/,
      ),
    );
    // Not denied traffic for the policy advisor: the host is allowed already, and upstream reports
    // a credential refusal as a finding, not as a denial to draft a rule from.
    const drafts = await os.policy.drafts.get(sb.name);
    const proposed = drafts.chunks.map((c) => JSON.stringify(c.proposedRule?.endpoints ?? []));
    expect(proposed.filter((endpoints) => endpoints.includes("elsewhere"))).toEqual([]);
    // Without a placeholder the same host is simply allowed by the policy.
    const plain = await sb.exec(shell("curl -sS http://elsewhere.test:443/user"));
    expect(plain.stdout).toContain("Bad credentials");
  });

  it("answers a placeholder for a credential the sandbox does not have with upstream's 500, naming it", async () => {
    const result = await sb.exec(
      shell(
        "curl -sS -i -H 'Authorization: Bearer openshell:resolve:env:v7_NOT_ATTACHED' http://api.github.com:443/user",
      ),
    );
    expect(result.stdout).toMatch(/^HTTP\/1\.1 500/m);
    expect(result.stdout).toContain("credential_injection_failed");
    expect(result.stdout).toContain("NOT_ATTACHED");
  });

  it("after the provider's credential changes, a new exec's placeholder and the old one both send the new value", async () => {
    const old = (
      await sb.exec(["sh", "-c", "tr '\\0' '\\n' < /proc/1/environ | grep ^GITHUB_TOKEN="])
    ).stdout.trim();
    tokens.current = `ghp_${kind}_TWO_${Math.random().toString(36).slice(2, 12)}`;
    await os.providers.update(providerName, { credentials: { GITHUB_TOKEN: tokens.current } });
    const fresh = (await sb.exec(["sh", "-c", "echo GITHUB_TOKEN=$GITHUB_TOKEN"])).stdout.trim();
    expect(fresh).not.toBe(old);
    const viaNew = await curl("api.github.com");
    expect(viaNew.stdout).toContain("exit=0");
    expect(api.seen.at(-1)).toBe(`Bearer ${tokens.current}`);
    const viaOld = await sb.exec(
      shell(`${old} && curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" http://api.github.com:443/user`),
    );
    expect(viaOld.stdout).toContain('"login":"octocat"');
    expect(api.seen.at(-1)).toBe(`Bearer ${tokens.current}`);
    const logs = (await sb.logs()).map((line) => line.message).join("\n");
    expect(logs).not.toContain(tokens.current);
  });

  it("binds an endpointless profile's credentials where the policy's credential_binding says, and nowhere else", async () => {
    const cloud = uniqueName("aws");
    const key = `AKIA${kind.toUpperCase()}${Math.random().toString(36).slice(2, 10)}`;
    await os.providers.create({ name: cloud, type: "aws", credentials: { AWS_ACCESS_KEY_ID: key } });
    await os.providers.attach(sb.name, cloud);
    // Attached but bound nowhere yet: the aws profile names no endpoint, so the key is withheld.
    expect((await sb.exec(["env"])).stdout).not.toContain("AWS_ACCESS_KEY_ID");
    await os.policy.update(sb.name, {
      networkPolicies: {
        github: { endpoints: [{ host: "api.github.com", port: 443 }] },
        other: { endpoints: [{ host: "elsewhere.test", port: 443, credentialBinding: { provider: cloud } }] },
      },
      wait: true,
    });
    const env = (await sb.exec(["env"])).stdout;
    expect(env).toMatch(/^AWS_ACCESS_KEY_ID=openshell:resolve:env:v[0-9]+_AWS_ACCESS_KEY_ID$/m);
    expect(env).not.toContain(key);
    const bound = await sb.exec(
      shell('curl -sS -H "Authorization: Bearer $AWS_ACCESS_KEY_ID" http://elsewhere.test:443/bucket'),
    );
    expect(bound.stdout).toContain("exit=0");
    expect(api.seen.at(-1)).toBe(`Bearer ${key}`);
    const elsewhere = await sb.exec(
      shell('curl -sS -i -H "Authorization: Bearer $AWS_ACCESS_KEY_ID" http://api.github.com:443/user'),
    );
    expect(elsewhere.stdout).toMatch(/^HTTP\/1\.1 403/m);
    expect(elsewhere.stdout).toContain("credential_endpoint_mismatch");
    // The github token still goes to its own API alone.
    expect((await curl("api.github.com")).stdout).toContain('"login":"octocat"');
  });

  it("keeps a running process's placeholder working across a gateway restart", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "openshell-credentials-restart-"));
    const options = {
      runtime: kind,
      runtimeOptions: { endpoint },
      stateDir,
      egressHosts: { "api.github.com": api.address },
    };
    try {
      const first = await OpenShell.local(options);
      const name = uniqueName("credrs");
      const provider = uniqueName("gh");
      await first.providers.create({
        name: provider,
        type: "github",
        credentials: { GITHUB_TOKEN: tokens.current },
      });
      const kept = await first.sandboxes.create({
        name,
        image: testImages.curl,
        command: IDLE,
        providers: [provider],
        policy: {
          process: { runAsUser: "1000", runAsGroup: "1000" },
          networkPolicies: { github: { endpoints: [{ host: "api.github.com", port: 443 }] } },
        },
      });
      await kept.ready({ timeoutMs: 60_000 });
      // The main process keeps the placeholder of the revision it started with; a change makes it old.
      tokens.current = `ghp_${kind}_THREE_${Math.random().toString(36).slice(2, 12)}`;
      await first.providers.update(provider, { credentials: { GITHUB_TOKEN: tokens.current } });
      await first.close();

      // The main process started under the first gateway; its placeholder is what it holds.
      const second = await OpenShell.local(options);
      try {
        const again = await second.sandboxes.get(name);
        const result = await again.exec(
          shell(
            "eval \"$(tr '\\0' '\\n' < /proc/1/environ | grep ^GITHUB_TOKEN=)\"; curl -sS -H \"Authorization: Bearer $GITHUB_TOKEN\" http://api.github.com:443/user",
          ),
        );
        expect(result.stdout).toContain('"login":"octocat"');
        expect(api.seen.at(-1)).toBe(`Bearer ${tokens.current}`);
        const fresh = (await again.exec(["sh", "-c", "echo $GITHUB_TOKEN"])).stdout;
        const main = (
          await again.exec(["sh", "-c", "tr '\\0' '\\n' < /proc/1/environ | grep ^GITHUB_TOKEN="])
        ).stdout;
        expect(main).not.toContain(fresh.trim());
      } finally {
        await second.localGateway?.close({ removeSandboxes: true });
        await second.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}
