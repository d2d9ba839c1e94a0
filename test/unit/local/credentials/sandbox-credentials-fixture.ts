import type { SandboxCredentials } from "../../../../src/local/credentials/sandbox-credentials.js";
import type { EgressClient } from "../../../../src/local/egress/egress-types.js";
import type { OutboundRequest, RewriteOutcome } from "../../../../src/local/egress/request-rewrite.js";
import type { FakeSandbox, Harness } from "../handlers/handler-harness.js";

/**
 * What the SandboxCredentials tests share: a github provider's two values over time, a sandbox
 * holding it, and a bearer request as the egress proxy hands it to the rewriter.
 */

/** The github provider's GITHUB_TOKEN when created. */
export const FIRST = "ghp_first_real_value_000";
/** What a test updates it to. */
export const SECOND = "ghp_second_real_value_111";

/** Creates the provider `gh` (github, GITHUB_TOKEN = FIRST) and the sandbox `agent` holding it. */
export async function githubSandbox(h: Harness): Promise<FakeSandbox> {
  await h.client.createProvider({
    provider: { metadata: { name: "gh" }, type: "github", credentials: { GITHUB_TOKEN: FIRST } },
  });
  return h.createSandbox("agent", { providers: ["gh"] });
}

/** The egress proxy's view of the sandbox as a client. */
export function sandboxClient(sandbox: FakeSandbox): EgressClient {
  return { sandboxId: sandbox.id, sandboxName: sandbox.name } as EgressClient;
}

/** Has `creds` rewrite a GET /user from `sandbox` to `host`:443 over TLS with `Bearer <token>`. */
export function sendBearer(
  creds: SandboxCredentials,
  sandbox: FakeSandbox,
  token: string,
  host = "api.github.com",
): RewriteOutcome {
  const request: OutboundRequest = {
    host,
    port: 443,
    method: "GET",
    pathAndQuery: "/user",
    rawHeaders: ["authorization", `Bearer ${token}`],
    tls: true,
    decision: { allowed: true, audited: false, reason: "test" },
  };
  return creds.rewrite(sandboxClient(sandbox), request) as RewriteOutcome;
}
