import { afterAll, beforeAll, expect, it } from "vitest";
import type { OpenShell, Sandbox } from "../../../src/index.js";
import type { LocalKind } from "./local-gateway-support.js";
import { apiCertificate, closeAll, startCredentialSandbox } from "./support/credential-gateway.js";
import { startWebSocketServer, type WebSocketServer } from "./websocket-api-server.js";

/**
 * bash in the sandbox, writing websocket frames by hand (the image has no websocket client): the
 * proxy's address from HTTP_PROXY, and `frame TEXT`, one masked text frame (FIN, opcode 1, a zero
 * masking key, which RFC 6455 allows, so printf can write the payload as it is; under 126 bytes).
 */
const prelude = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansions, not a template
  "p=${HTTP_PROXY#http://}; p=${p%/}; ph=${p%:*}; pp=${p##*:}",
  `msg="{\\"token\\":\\"$GITHUB_TOKEN\\"}"`,
  `frame() { printf '\\201'; printf "\\\\$(printf %o $((128 + \${#1})))"; printf '\\0\\0\\0\\0'; printf '%s' "$1"; }`,
  "printable() { tr -c '[:print:]\\n' '.'; }",
].join("\n");

const upgradeHead = (target: string, host: string) =>
  `GET ${target} HTTP/1.1\\r\\nHost: ${host}\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n` +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n" +
  "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\\r\\n\\r\\n";

/** ws:// through the proxy (absolute-form request), one text message, then what came back. */
const plainWs = (host: string) =>
  [
    prelude,
    'exec 3<>"/dev/tcp/$ph/$pp"',
    `printf '${upgradeHead(`http://${host}:443/ws/chat`, `${host}:443`)}' >&3`,
    "sleep 1",
    'frame "$msg" >&3',
    "timeout 3 cat <&3 | printable",
  ].join("\n");

/** wss:// through the proxy (CONNECT, TLS by openssl s_client), one text message, then what came back. */
const tlsWs = (host: string) =>
  [
    prelude,
    `{ printf '${upgradeHead("/ws/chat", host)}'; sleep 1; frame "$msg"; sleep 3; } |`,
    `  timeout 6 openssl s_client -quiet -proxy "$ph:$pp" -connect ${host}:443 -servername ${host} 2>/dev/null | printable`,
  ].join("\n");

/**
 * websocket_credential_rewrite on a real sandbox: a text message holding the sandbox's
 * GITHUB_TOKEN placeholder reaches a websocket API on this host (which checks it itself) with the
 * real token, over ws:// and over wss:// (TLS the proxy terminates), with the client's extension
 * offer dropped; to a host the credential is not bound to, the proxy closes the websocket 1008
 * instead; without the flag the message goes unread, placeholder and all.
 */
export function describeCredentialWebSocket(kind: LocalKind): void {
  const token = `ghp_${kind}_WS_${Math.random().toString(36).slice(2, 12)}`;
  let wss: WebSocketServer;
  let ws: WebSocketServer;
  let os: OpenShell;
  let sb: Sandbox;

  const websocket = (host: string, flag: boolean) => ({
    host,
    port: 443,
    protocol: "websocket",
    access: "full",
    websocketCredentialRewrite: flag,
  });

  beforeAll(async () => {
    const cert = await apiCertificate(`credential-ws-ca-${kind}`, ["api.github.com"]);
    wss = await startWebSocketServer(() => token, cert.tls);
    ws = await startWebSocketServer(() => token);
    ({ os, sb } = await startCredentialSandbox({
      kind,
      token,
      sandboxPrefix: "credws",
      egressHosts: { "api.github.com": wss.address, "github.com": ws.address, "elsewhere.test": ws.address },
      egressTrustedCertificates: [cert.caCert],
      networkPolicies: {
        github: { endpoints: [websocket("api.github.com", true), websocket("github.com", true)] },
        other: { endpoints: [websocket("elsewhere.test", true)] },
      },
    }));
  }, 120_000);
  afterAll(() => closeAll(os, wss, ws));

  const run = (script: string) => sb.exec(["bash", "-c", script]);

  it("puts the real token in a ws:// text message; the API accepts it and the extension offer is dropped", async () => {
    const result = await run(plainWs("github.com"));
    expect(result.stdout).toMatch(/^HTTP\/1\.1 101 /m);
    expect(result.stdout).toContain("accepted");
    expect(result.stdout).not.toContain(token);
    expect(ws.seen.at(-1)).toEqual({
      path: "/ws/chat",
      extensions: undefined,
      messages: [`{"token":"${token}"}`],
    });
  });

  it("does the same over wss:// (TLS the proxy terminates)", async () => {
    const result = await run(tlsWs("api.github.com"));
    expect(result.stdout).toMatch(/^HTTP\/1\.1 101 /m);
    expect(result.stdout).toContain("accepted");
    expect(wss.seen.at(-1)?.messages).toEqual([`{"token":"${token}"}`]);
  });

  it("closes the websocket 1008 for a host the credential is not bound to, sending the API nothing", async () => {
    const before = ws.seen.length;
    const result = await run(plainWs("elsewhere.test"));
    expect(result.stdout).toMatch(/^HTTP\/1\.1 101 /m);
    // The close frame: 0x88, its length, 1008 (0x03 0xF0), then upstream's reason.
    expect(result.stdout).toContain("credential endpoint mismatch");
    expect(result.stdout).not.toContain("accepted");
    expect(ws.seen.length).toBe(before + 1);
    expect(ws.seen.at(-1)?.messages).toEqual([]);
    const logged = (await sb.logs({ sources: ["gateway"] })).map((line) => line.message);
    expect(logged).toContainEqual(expect.stringMatching(/credential_endpoint_mismatch/));
  });

  it("without the flag, sends the message unread: the API gets the placeholder and rejects it", async () => {
    await os.policy.update(sb.name, {
      networkPolicies: {
        github: { endpoints: [websocket("api.github.com", false), websocket("github.com", false)] },
      },
      wait: true,
    });
    const result = await run(plainWs("github.com"));
    expect(result.stdout).toContain("rejected");
    expect(ws.seen.at(-1)?.messages).toEqual([
      expect.stringMatching(/^\{"token":"openshell:resolve:env:v[0-9]+_GITHUB_TOKEN"\}$/),
    ]);
    expect(ws.seen.at(-1)?.extensions).toBe("permessage-deflate; client_max_window_bits");
  });
}
