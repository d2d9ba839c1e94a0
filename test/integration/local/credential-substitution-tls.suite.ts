import { afterAll, beforeAll, expect, it } from "vitest";
import type { OpenShell, Sandbox } from "../../../src/index.js";
import { a2aAgentImage } from "../../support/a2a-agent/image.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";
import { expectEndpointMismatch } from "./support/credential-expectations.js";
import { apiCertificate, closeAll, shell, startCredentialSandbox } from "./support/credential-gateway.js";
import { startTokenServer, type TokenServer } from "./token-api-server.js";

/**
 * Credential placeholders over HTTPS: the API on this host has its own CA, which the gateway is
 * told to trust and the sandbox is not. curl in the sandbox (no -k) talks TLS to the proxy, which
 * terminates it with the gateway's egress CA, puts the real token in for the bound API and refuses
 * it elsewhere, so the sandbox never holds the token even inside its own TLS.
 */
export function describeCredentialSubstitutionTls(kind: LocalKind): void {
  const token = `ghp_${kind}_TLS_${Math.random().toString(36).slice(2, 12)}`;
  let api: TokenServer;
  let os: OpenShell;
  let sb: Sandbox;
  let provider: string;

  beforeAll(async () => {
    const names = ["api.github.com", "elsewhere.test"];
    const cert = await apiCertificate(`credential-api-ca-${kind}`, names);
    api = await startTokenServer(() => token, cert.tls);
    ({ os, sb, provider } = await startCredentialSandbox({
      kind,
      token,
      sandboxPrefix: "credtls",
      egressHosts: Object.fromEntries(names.map((name) => [name, api.address])),
      egressTrustedCertificates: [cert.caCert],
      networkPolicies: {
        github: { endpoints: [{ host: "api.github.com", port: 443 }] },
        other: { endpoints: [{ host: "elsewhere.test", port: 443 }] },
      },
    }));
  }, 120_000);
  afterAll(() => closeAll(os, api));

  const curl = (url: string, auth = "Bearer $GITHUB_TOKEN") =>
    sb.exec(shell(`curl -sS -i -H "Authorization: ${auth}" ${url}`));

  it("sends the real token to the bound HTTPS API; the sandbox sees only the answer", async () => {
    const result = await curl("https://api.github.com/user");
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200/m);
    expect(result.stdout).toContain('"login":"octocat"');
    expect(api.seen.at(-1)).toBe(`Bearer ${token}`);
    expect(result.stdout).not.toContain(token);
  });

  it("refuses the placeholder to an HTTPS host it is not bound to with 403 credential_endpoint_mismatch", async () => {
    const before = api.seen.length;
    const result = await curl("https://elsewhere.test/user");
    expectEndpointMismatch(result.stdout, token);
    expect(api.seen.length).toBe(before);
  });

  it("answers a placeholder nothing holds with upstream's 500 credential_unavailable inside TLS", async () => {
    const result = await curl("https://api.github.com/user", "Bearer openshell:resolve:env:v9_NOT_ATTACHED");
    expect(result.stdout).toMatch(/^HTTP\/1\.1 500/m);
    expect(result.stdout).toContain("credential_unavailable");
    const logs = (await sb.logs()).map((line) => line.message).join("\n");
    expect(logs).not.toContain(token);
  });

  it("serves a Node script that sends the placeholder from its environment through the proxy's TLS", async () => {
    // Node 18 reads no proxy variables: the script opens the CONNECT tunnel itself, and trusts the
    // gateway's egress CA through NODE_EXTRA_CA_CERTS, as the gateway set it.
    const script = [
      'const http = require("node:http"), https = require("node:https"), tls = require("node:tls");',
      "const proxy = new URL(process.env.HTTPS_PROXY);",
      'const tunnel = http.request({ host: proxy.hostname, port: proxy.port, method: "CONNECT", path: "api.github.com:443" });',
      'tunnel.on("connect", (_res, socket) => {',
      '  const secure = tls.connect({ socket, servername: "api.github.com" });',
      '  const req = https.request({ host: "api.github.com", path: "/user", createConnection: () => secure,',
      '    headers: { authorization: "Bearer " + process.env.GITHUB_TOKEN } }, (res) => {',
      '    let body = ""; res.on("data", (d) => (body += d));',
      '    res.on("end", () => { console.log(res.statusCode, body.trim()); process.exit(0); });',
      "  });",
      '  req.on("error", (e) => { console.log("error", e.code || e.message); process.exit(1); });',
      "  req.end();",
      "});",
      'tunnel.on("error", (e) => { console.log("proxy error", e.message); process.exit(1); });',
      "tunnel.end();",
    ].join("\n");
    await using node = await os.sandboxes.create({
      name: uniqueName("crednode"),
      image: a2aAgentImage,
      command: IDLE,
      providers: [provider],
      policy: {
        process: { runAsUser: "sandbox", runAsGroup: "sandbox" },
        networkPolicies: { github: { endpoints: [{ host: "api.github.com", port: 443 }] } },
      },
    });
    await node.ready({ timeoutMs: 60_000 });
    const result = await node.exec(["node", "-e", script]);
    expect(result.stdout).toContain('200 {"login":"octocat"');
    expect(api.seen.at(-1)).toBe(`Bearer ${token}`);
    expect(result.stdout + result.stderr).not.toContain(token);
  });
}
