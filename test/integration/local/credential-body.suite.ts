import { afterAll, beforeAll, expect, it } from "vitest";
import type { OpenShell, Sandbox } from "../../../src/index.js";
import { testImages } from "../../support/test-engines.js";
import { type BodyServer, startBodyServer } from "./body-api-server.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";
import { expectEndpointMismatch } from "./support/credential-expectations.js";
import { apiCertificate, closeAll, shell, startCredentialSandbox } from "./support/credential-gateway.js";

/** A JSON body holding the sandbox's GITHUB_TOKEN placeholder, on curl's stdin. */
const jsonBody = `printf '{"channel":"C1","token":"%s"}' "$GITHUB_TOKEN"`;

/**
 * request_body_credential_rewrite on a real sandbox: curl sends its placeholder in a request body;
 * the API on this host (which checks the body itself) gets the real token over HTTPS (TLS the
 * proxy terminates) and plain HTTP alike, in JSON, form and chunked bodies. A body to a host the
 * credential is not bound to is refused with 403 credential_endpoint_mismatch, one above 256 KiB
 * is not forwarded (the connection is closed, as upstream does); without the flag a body is cut off
 * at a placeholder (upstream's backstop), and with allow_uninspected_credentials it goes unread. The
 * backstop is armed only for a sandbox that holds credentials, as upstream: one without providers
 * sends placeholder-looking text as it is.
 */
export function describeCredentialBody(kind: LocalKind): void {
  const token = `ghp_${kind}_BODY_${Math.random().toString(36).slice(2, 12)}`;
  let https: BodyServer;
  let http: BodyServer;
  let os: OpenShell;
  let sb: Sandbox;

  const rest = (host: string, flag: boolean) => ({
    host,
    port: 443,
    protocol: "rest",
    access: "full",
    requestBodyCredentialRewrite: flag,
  });

  beforeAll(async () => {
    const cert = await apiCertificate(`credential-body-ca-${kind}`, ["api.github.com", "elsewhere.test"]);
    https = await startBodyServer(() => token, cert.tls);
    http = await startBodyServer(() => token);
    ({ os, sb } = await startCredentialSandbox({
      kind,
      token,
      sandboxPrefix: "credbody",
      egressHosts: {
        "api.github.com": https.address,
        "elsewhere.test": https.address,
        "github.com": http.address,
      },
      egressTrustedCertificates: [cert.caCert],
      networkPolicies: {
        github: { endpoints: [rest("api.github.com", true), rest("github.com", true)] },
        other: { endpoints: [rest("elsewhere.test", true)] },
      },
    }));
  }, 120_000);
  afterAll(() => closeAll(os, https, http));

  const post = (url: string, body = jsonBody, extra = "") =>
    sb.exec(
      shell(`${body} | curl -sS -i -H 'Content-Type: application/json' ${extra} --data-binary @- ${url}`),
    );

  it("puts the real token in a JSON body over HTTPS; the API accepts it and the sandbox never sees it", async () => {
    const result = await post("https://api.github.com/api/chat.postMessage");
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200/m);
    expect(result.stdout).toContain('{"ok":true}');
    expect(result.stdout).not.toContain(token);
    const seen = https.seen.at(-1);
    expect(seen?.body).toBe(`{"channel":"C1","token":"${token}"}`);
    expect(seen?.contentLength).toBe(String(seen?.body.length));
    // 200 000 bytes, under the bound, sent only once the proxy says 100 Continue: it goes whole.
    const padded = `(printf '{"token":"%s","pad":"' "$GITHUB_TOKEN"; head -c 200000 /dev/zero | tr '\\0' a; printf '"}')`;
    const big = await post("https://api.github.com/api/files.upload", padded, "-H 'Expect: 100-continue'");
    expect(big.stdout).toMatch(/^HTTP\/1\.1 200/m);
    expect(https.seen.at(-1)).toMatchObject({
      body: `{"token":"${token}","pad":"${"a".repeat(200_000)}"}`,
      expect: "100-continue",
    });
  });

  it("does the same in a form body over plain HTTP, and makes a chunked body whole", async () => {
    const form = await sb.exec(
      shell(
        'curl -sS -i --data-urlencode "token=$GITHUB_TOKEN" --data "channel=C1" http://github.com:443/api/auth',
      ),
    );
    expect(form.stdout).toMatch(/^HTTP\/1\.1 200/m);
    expect(http.seen.at(-1)?.body).toBe(`token=${token}&channel=C1`);

    const chunked = await post(
      "https://api.github.com/api/chat.postMessage",
      jsonBody,
      "-H 'Transfer-Encoding: chunked'",
    );
    expect(chunked.stdout).toMatch(/^HTTP\/1\.1 200/m);
    expect(https.seen.at(-1)).toMatchObject({
      body: `{"channel":"C1","token":"${token}"}`,
      transferEncoding: undefined,
      contentLength: String(`{"channel":"C1","token":"${token}"}`.length),
    });
  });

  it("refuses a body placeholder to a host it is not bound to with 403 credential_endpoint_mismatch, sending nothing", async () => {
    const before = https.seen.length;
    const result = await post("https://elsewhere.test/api/chat.postMessage");
    expectEndpointMismatch(result.stdout, token);
    expect(https.seen.length).toBe(before);
  });

  it("does not forward a body above 256 KiB: the connection is closed unanswered and the gateway log says why", async () => {
    const before = http.seen.length;
    const big = `(printf '{"token":"%s","pad":"' "$GITHUB_TOKEN"; head -c 300000 /dev/zero | tr '\\0' a; printf '"}')`;
    const result = await post("http://github.com:443/api/files.upload", big);
    // curl: (52) Empty reply from server; (55) Send failure or (56) Recv failure when the close
    // cuts the upload short (55 is what Docker's sandbox saw here).
    expect(result.stdout).toMatch(/exit=(52|55|56)/);
    expect(result.stdout).not.toMatch(/^HTTP\/1\.1/m);
    expect(http.seen.length).toBe(before);
    const logged = (await sb.logs({ sources: ["gateway"] })).map((line) => line.message);
    expect(logged).toContainEqual(expect.stringMatching(/github\.com.*above the 262144 bytes/));
  });

  it("without the flag, cuts the body off at the placeholder; with allow_uninspected_credentials, sends it unread", async () => {
    await os.policy.update(sb.name, {
      networkPolicies: {
        github: { endpoints: [rest("api.github.com", false)] },
        open: { endpoints: [{ ...rest("github.com", false), allowUninspectedCredentials: true }] },
      },
      wait: true,
    });
    const before = https.seen.length;
    const cutOff = await post("https://api.github.com/api/chat.postMessage");
    expect(cutOff.stdout).toMatch(/exit=(52|55|56)/);
    // The proxy's CONNECT answer is all curl prints: the request itself got none.
    expect(cutOff.stdout).not.toMatch(/^HTTP\/1\.1 (?!200 Connection Established)/m);
    expect(https.seen.length).toBe(before);
    expect(https.cut.join("")).not.toContain("openshell");
    const logged = (await sb.logs({ sources: ["gateway"] })).map((line) => line.message);
    expect(logged).toContainEqual(
      expect.stringMatching(/api\.github\.com.*has no request_body_credential_rewrite/),
    );

    const unread = await post("http://github.com:443/api/chat.postMessage");
    expect(unread.stdout).toMatch(/^HTTP\/1\.1 401/m);
    expect(http.seen.at(-1)?.body).toMatch(/"token":"openshell:resolve:env:v[0-9]+_GITHUB_TOKEN"/);
  });

  it("sends placeholder-looking text in a body intact from a sandbox without providers (it holds no credentials)", async () => {
    const plain = await os.sandboxes.create({
      name: uniqueName("nocreds"),
      image: testImages.curl,
      command: IDLE,
      policy: {
        process: { runAsUser: "1000", runAsGroup: "1000" },
        networkPolicies: { github: { endpoints: [rest("api.github.com", false)] } },
      },
    });
    await plain.ready({ timeoutMs: 60_000 });
    const text = '{"note":"openshell:resolve:env:v7_GITHUB_TOKEN and openshell:resolve:env:GITHUB_TOKEN"}';
    const result = await plain.exec(
      shell(
        `printf '%s' '${text}' | curl -sS -i -H 'Content-Type: application/json' --data-binary @- https://api.github.com/api/chat.postMessage`,
      ),
    );
    // The API answers 401 (not its token), but it got the request, body and all.
    expect(result.stdout).toMatch(/^HTTP\/1\.1 401/m);
    expect(https.seen.at(-1)?.body).toBe(text);
    expect(https.seen.at(-1)?.contentLength).toBe(String(text.length));
  }, 120_000);
}
