import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { OpenShell, type Sandbox } from "../../../../src/index.js";
import type { EngineEndpoint } from "../../../../src/runtime/engine-endpoint.js";
import { createCertificateAuthority, issueServerCertificate } from "../../../support/certs.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "../local-gateway-support.js";
import type { ServerTls } from "./loopback-api-server.js";

type Policy = MessageInitShape<typeof SandboxPolicySchema>;

/** The test engine of this kind. */
export function engineEndpoint(kind: LocalKind): EngineEndpoint {
  return kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
}

/** A shell line that prints what a command printed and its exit code. */
export function shell(line: string): string[] {
  return ["sh", "-c", `${line} 2>&1; echo "exit=$?"`];
}

/** A test API's own CA (which the gateway is told to trust and the sandbox is not) and its certificate. */
export interface ApiCertificate {
  /** The CA's PEM certificate, for `egressTrustedCertificates`. */
  caCert: string;
  /** The server's PEM key and certificate, for the API's `tls`. */
  tls: ServerTls;
}

/** Mints a CA named `caName` and a server certificate for `dnsNames` from it. */
export async function apiCertificate(caName: string, dnsNames: string[]): Promise<ApiCertificate> {
  const ca = await createCertificateAuthority(caName);
  return { caCert: ca.cert, tls: await issueServerCertificate(ca, { dnsNames }) };
}

/** What {@link startCredentialSandbox} makes. */
export interface CredentialSandboxOptions {
  kind: LocalKind;
  /** The github provider's GITHUB_TOKEN. */
  token: string;
  /** The provider's name; omitted, a unique `gh-…`. */
  provider?: string;
  /** The sandbox name's prefix (a unique suffix is added). */
  sandboxPrefix: string;
  /** Host name to loopback address, for the gateway's egress proxy (`egressHosts`). */
  egressHosts?: Record<string, string>;
  /** CA certificates the gateway trusts for the APIs' TLS (`egressTrustedCertificates`). */
  egressTrustedCertificates?: string[];
  /** The sandbox's image; omitted, the curl test image. */
  image?: string;
  env?: Record<string, string>;
  /** The policy's process identity; omitted, uid and gid 1000. */
  process?: Policy["process"];
  networkPolicies?: Policy["networkPolicies"];
}

/** An ephemeral local gateway with a github provider and a ready sandbox that holds it. */
export interface CredentialSandbox {
  os: OpenShell;
  sb: Sandbox;
  /** The github provider's name. */
  provider: string;
}

/**
 * Starts an ephemeral `OpenShell.local()` on the test engine of `kind`, creates the github provider
 * with `token`, and a sandbox with it (running IDLE) under the given policy, and waits until the
 * sandbox is ready. The caller closes `os` (which removes the sandbox); if a step here fails, the
 * gateway is closed before the error is thrown, so nothing is left behind.
 */
export async function startCredentialSandbox(options: CredentialSandboxOptions): Promise<CredentialSandbox> {
  const os = await OpenShell.local({
    runtime: options.kind,
    runtimeOptions: { endpoint: engineEndpoint(options.kind) },
    ephemeral: true,
    ...(options.egressHosts === undefined ? {} : { egressHosts: options.egressHosts }),
    ...(options.egressTrustedCertificates === undefined
      ? {}
      : { egressTrustedCertificates: options.egressTrustedCertificates }),
  });
  try {
    const provider = options.provider ?? uniqueName("gh");
    await os.providers.create({
      name: provider,
      type: "github",
      credentials: { GITHUB_TOKEN: options.token },
    });
    const sb = await os.sandboxes.create({
      name: uniqueName(options.sandboxPrefix),
      image: options.image ?? testImages.curl,
      command: IDLE,
      providers: [provider],
      ...(options.env === undefined ? {} : { env: options.env }),
      policy: {
        process: options.process ?? { runAsUser: "1000", runAsGroup: "1000" },
        ...(options.networkPolicies === undefined ? {} : { networkPolicies: options.networkPolicies }),
      },
    });
    await sb.ready({ timeoutMs: 60_000 });
    return { os, sb, provider };
  } catch (error) {
    await os.close();
    throw error;
  }
}

/** Something a suite closes in its afterAll: a gateway, a test API. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Closes each part in order (the gateway first, so its sandboxes stop before the APIs they talk
 * to), skipping what beforeAll never made.
 */
export async function closeAll(...parts: (Closable | undefined)[]): Promise<void> {
  for (const part of parts) await part?.close();
}
