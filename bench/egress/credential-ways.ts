/**
 * HTTPS through the egress proxy with a provider credential's placeholder resolved on the way, as
 * local mode does it: a real `SandboxCredentials` over a real state store (in a temporary
 * directory) holding a provider, created through the real provider handlers, and a sandbox whose
 * policy binds the provider to the bench host with `credential_binding`. Beside it, the same kind
 * of proxy without the rewriter, and the rewriter's proxy sent the real token (no placeholder).
 */

import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import * as https from "node:https";
import type * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { SandboxPolicySchema } from "../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import {
  OpenShell,
  type Sandbox,
  type SandboxSpec,
  SandboxSpecSchema,
} from "../../src/gen/openshell/v1/openshell_pb.js";
import {
  type CredentialSandbox,
  SandboxCredentials,
} from "../../src/local/credentials/sandbox-credentials.js";
import { compileEgressPolicy } from "../../src/local/egress/egress-policy.js";
import { type EgressClient, EgressProxy } from "../../src/local/egress/egress-proxy.js";
import { recordInitialPolicy } from "../../src/local/handlers/policy-handlers.js";
import { providerHandlers } from "../../src/local/handlers/provider-handlers.js";
import { createCertificateAuthority, issueCertificate } from "../../src/local/listen/certificate-issuer.js";
import type { SandboxDirectory, SandboxView } from "../../src/local/sandboxes/sandbox-directory.js";
import { LocalStateStore } from "../../src/local/state/state-store.js";
import type { HttpsEndpoints } from "./https-ways.js";

const ANSWER = JSON.stringify({ ok: true, items: [1, 2, 3], note: "egress benchmark" });
const HOST = "api.bench.test";
const KEY = "AWS_ACCESS_KEY_ID";
/** The real value: only the upstream may ever see it. Same length class as a real access key. */
const TOKEN = "AKIABENCHREALVALUE0000000000000000000000";

/** What the upstream saw in the Authorization header: the real token, or anything else. */
export interface Seen {
  real: number;
  other: number;
  /** The first header that was not the real token, for the error message. */
  firstOther: string | undefined;
}

export interface CredentialEndpoints {
  /** The proxy without a rewriter, and the proxy whose `rewrite` is the sandbox credentials'. */
  plain: HttpsEndpoints;
  rewriting: HttpsEndpoints;
  /** `Bearer <real token>` and `Bearer <placeholder from the sandbox's environment>`. */
  realHeader: string;
  placeholderHeader: string;
  seen: Seen;
  close(): Promise<void>;
}

/** The one sandbox the provider handlers may look up (they never need it to create a provider). */
class OneSandbox implements SandboxDirectory {
  constructor(private readonly view: SandboxView) {}
  byName(name: string): SandboxView {
    if (name === this.view.name) return this.view;
    throw new ConnectError(`sandbox "${name}" not found`, Code.NotFound);
  }
  byId(id: string): SandboxView {
    if (id === this.view.id) return this.view;
    throw new ConnectError(`sandbox with id "${id}" not found`, Code.NotFound);
  }
  all(): SandboxView[] {
    return [this.view];
  }
  updateSpec(): SandboxView {
    throw new Error("the credential bench never changes a sandbox's spec");
  }
  gatewayLog(): void {}
}

async function upstreamWith(seen: Seen) {
  const upstreamCa = await createCertificateAuthority("bench-upstream-ca");
  const leaf = await issueCertificate(upstreamCa, { commonName: HOST, usage: "server", dnsNames: [HOST] });
  const upstream = https.createServer({ ...leaf, keepAliveTimeout: 60_000 }, (req, res) => {
    const auth = req.headers.authorization ?? "";
    const real = auth === `Bearer ${TOKEN}`;
    if (real) seen.real++;
    else {
      seen.other++;
      seen.firstOther ??= auth;
    }
    req.resume();
    req.on("end", () => {
      // Anything but the real token is refused, so a request the proxy did not resolve fails the run.
      const body = real ? ANSWER : '{"message":"Bad credentials"}';
      res.writeHead(real ? 200 : 401, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  return { upstream, upstreamCa, port: (upstream.address() as net.AddressInfo).port };
}

/** The state store with the provider and the sandbox, and the sandbox's placeholder for {@link KEY}. */
async function storeWithSandbox(dir: string, port: number) {
  const store = LocalStateStore.open(join(dir, "state"));
  const networkPolicies = {
    api: {
      endpoints: [
        {
          host: HOST,
          port,
          access: "read-only",
          enforcement: "enforce",
          // The aws profile names no endpoint: the policy binds its credentials to the bench host.
          credentialBinding: { provider: "bench-aws" },
        },
      ],
    },
  };
  const spec: SandboxSpec = create(SandboxSpecSchema, {
    providers: ["bench-aws"],
    policy: { networkPolicies },
  });
  const sandbox: CredentialSandbox & SandboxView = {
    id: "00000000-0000-4000-8000-00000000be17",
    name: "bench",
    workspace: "default",
    spec,
    toProto: () => ({}) as Sandbox,
  };
  store.insertSandbox({
    id: sandbox.id,
    workspace: sandbox.workspace,
    name: sandbox.name,
    record: { spec: toJson(SandboxSpecSchema, spec) },
    createdMs: Date.now(),
  });
  recordInitialPolicy(store, sandbox);
  const transport = createRouterTransport((router) =>
    router.service(OpenShell, providerHandlers({ store, sandboxes: new OneSandbox(sandbox) })),
  );
  await createClient(OpenShell, transport).createProvider({
    provider: { metadata: { name: "bench-aws" }, type: "aws", credentials: { [KEY]: TOKEN } },
  });
  const credentials = new SandboxCredentials({
    store,
    sandbox: (id) => (id === sandbox.id ? sandbox : undefined),
  });
  const placeholder = credentials.environment(sandbox)[KEY];
  if (placeholder === undefined || !placeholder.startsWith("openshell:resolve:env:v")) {
    throw new Error(
      `the sandbox got no placeholder for ${KEY} (got ${placeholder}): the bench setup is wrong`,
    );
  }
  const policy = compileEgressPolicy(create(SandboxPolicySchema, { networkPolicies }).networkPolicies);
  const client: EgressClient = { sandboxId: sandbox.id, sandboxName: sandbox.name, policy };
  return { store, credentials, placeholder, client };
}

export async function startCredentialEndpoints(): Promise<CredentialEndpoints> {
  const seen: Seen = { real: 0, other: 0, firstOther: undefined };
  const { upstream, upstreamCa, port } = await upstreamWith(seen);
  const dir = await mkdtemp(join(tmpdir(), "openshell-bench-credentials-"));
  const { store, credentials, placeholder, client } = await storeWithSandbox(dir, port);
  const egressCa = await createCertificateAuthority("bench-egress-ca");

  const proxyEndpoints = async (withRewrite: boolean): Promise<HttpsEndpoints> => {
    const events = { total: 0, denied: 0 };
    const proxy = await EgressProxy.listen({
      host: "127.0.0.1",
      identify: (remote) => (remote === "127.0.0.1" ? client : undefined),
      resolve: (host) => (host === HOST ? "127.0.0.1" : undefined),
      onEvent: (event) => {
        events.total++;
        if (!event.decision.allowed) events.denied++;
      },
      ...(withRewrite ? { rewrite: credentials.rewrite } : {}),
      tlsCa: egressCa,
      trustedCertificates: [upstreamCa.cert],
    });
    return {
      upstreamPort: port,
      proxy,
      upstreamCa: upstreamCa.cert,
      egressCa: egressCa.cert,
      events,
      close: () => proxy.close(),
    };
  };
  const plain = await proxyEndpoints(false);
  const rewriting = await proxyEndpoints(true);
  return {
    plain,
    rewriting,
    realHeader: `Bearer ${TOKEN}`,
    placeholderHeader: `Bearer ${placeholder}`,
    seen,
    close: async () => {
      await Promise.all([plain.close(), rewriting.close()]);
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
