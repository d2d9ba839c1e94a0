import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell } from "../../../src/client/open-shell.js";
import { GatewayConfigError, TlsError, UnauthenticatedError, UnavailableError } from "../../../src/errors.js";
import { createCertificateAuthority, issueClientCertificate } from "../../support/certs.js";
import {
  caseCounter,
  corrupted,
  hostileString,
  nested,
  runs,
  settings,
  settle,
  timeFor,
} from "./fuzz-support.js";

const cases = caseCounter("discovery-files");

const connectRuns = runs(100);

/** Gateway names that are safe folder names, so the generated files can exist. */
const gatewayName = fc
  .stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/)
  .filter((n) => n !== "." && n !== "..");

const authModes = ["mtls", "plaintext", "cloudflare_jwt", "oidc", "none"];

/** Text that might be in a config file: valid, spoiled, truncated, the wrong format, or binary noise. */
function fileText(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((v) => JSON.stringify(v)) },
    {
      weight: 3,
      // JSON can only carry JSON: a wrong type, a deep nest, a huge string in one field.
      arbitrary: corrupted(
        valid,
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          hostileString,
          fc.integer({ min: 50, max: 1_000 }).map((d) => nested(d)),
        ),
      ).map((v) => JSON.stringify(v)),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.nat()).map(([v, n]) => {
        const text = JSON.stringify(v);
        return text.slice(0, n % (text.length + 1));
      }),
    },
    { weight: 1, arbitrary: valid.map((v) => `\uFEFF${JSON.stringify(v)}`) },
    {
      weight: 1,
      arbitrary: valid.map((v) =>
        Object.entries(v)
          .map(([k, x]) => `${k}: ${String(x)}`)
          .join("\n"),
      ),
    },
    { weight: 2, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.nat({ max: 200_000 }).map((n) => `{"name":"${"x".repeat(n)}"`) },
  );
}

interface Layout {
  active: string | undefined;
  gateways: {
    name: string;
    metadata: string | undefined;
    mtls: Partial<Record<"ca.crt" | "tls.crt" | "tls.key", string>>;
    edgeToken: string | undefined;
    oidcToken: string | undefined;
  }[];
  env: Record<string, string>;
}

describe("fuzz: gateway discovery files and variables (OpenShell.connect)", () => {
  let pem: { ca: string; cert: string; key: string };
  let closedPort: number;
  let holder: Server;
  beforeAll(async () => {
    const ca = await createCertificateAuthority("fuzz-ca");
    const client = await issueClientCertificate(ca, { commonName: "fuzz" });
    pem = { ca: ca.cert, cert: client.cert, key: client.key };
    // A port nobody answers on: a connect that gets as far as a call fails fast, not after a timeout.
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    closedPort = (holder.address() as { port: number }).port;
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  });
  afterAll(() => {
    holder?.close();
  });

  function layout(): fc.Arbitrary<Layout> {
    const endpoint = fc.constantFrom(
      `https://127.0.0.1:${closedPort}`,
      `http://127.0.0.1:${closedPort}`,
      `127.0.0.1:${closedPort}`,
      `http://localhost:${closedPort}/`,
    );
    const metadata = fc.record(
      {
        name: gatewayName,
        gateway_endpoint: endpoint,
        auth_mode: fc.constantFrom(...authModes),
        oidc_issuer: fc.constant("https://issuer.example"),
        oidc_scopes: fc.constant("openid profile"),
      },
      { requiredKeys: ["gateway_endpoint"] },
    );
    const oidc = fc.record(
      {
        access_token: fc.stringMatching(/^[A-Za-z0-9._-]{8,40}$/),
        expires_at: fc.integer({ min: 2_000_000_000, max: 4_000_000_000 }),
        refresh_token: fc.string({ maxLength: 10 }),
      },
      { requiredKeys: ["access_token"] },
    );
    const pemText = (valid: string) =>
      fc.oneof(
        fc.constant(valid),
        fc.nat().map((n) => valid.slice(0, n % valid.length)),
        hostileString,
      );
    const gateway = fc.record({
      name: gatewayName,
      metadata: fc.option(fileText(metadata), { nil: undefined, freq: 6 }),
      mtls: fc.record(
        { "ca.crt": pemText(pem.ca), "tls.crt": pemText(pem.cert), "tls.key": pemText(pem.key) },
        { requiredKeys: [] },
      ),
      edgeToken: fc.option(hostileString, { nil: undefined, freq: 3 }),
      oidcToken: fc.option(fileText(oidc), { nil: undefined, freq: 3 }),
    });
    const envValue = fc.oneof(
      hostileString.filter((v) => !v.includes("\0")),
      endpoint,
      gatewayName,
    );
    // Each variable is set now and then, so that most runs get as far as the files.
    const sometimes = <T>(a: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });
    const env = fc
      .record({
        OPENSHELL_GATEWAY: sometimes(fc.oneof(gatewayName, envValue)),
        OPENSHELL_GATEWAY_ENDPOINT: sometimes(fc.oneof(endpoint, envValue)),
        OPENSHELL_WORKSPACE: sometimes(envValue),
        OPENSHELL_GATEWAY_INSECURE: sometimes(fc.constantFrom("1", "0", "false", "yes", "")),
        OPENSHELL_GATEWAY_TLS_SERVER_NAME: sometimes(envValue),
        OPENSHELL_GATEWAY_MTLS_DIR: sometimes(envValue),
        XDG_CONFIG_HOME: sometimes(envValue),
      })
      .map(
        (e) =>
          Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Record<string, string>,
      );
    return fc.array(gateway, { maxLength: 3 }).chain((gateways) =>
      fc.record({
        // Mostly a gateway that is there, sometimes one that is not, sometimes garbage.
        active: fc.option(
          fc.oneof(
            {
              weight: 4,
              arbitrary: gateways.length > 0 ? fc.constantFrom(...gateways.map((g) => g.name)) : gatewayName,
            },
            { weight: 1, arbitrary: gatewayName.map((n) => ` ${n}\n`) },
            { weight: 1, arbitrary: hostileString },
          ),
          { nil: undefined, freq: 6 },
        ),
        gateways: fc.constant(gateways),
        env,
      }),
    );
  }

  async function writeLayout(root: string, l: Layout): Promise<void> {
    await mkdir(root, { recursive: true });
    if (l.active !== undefined) await writeFile(path.join(root, "active_gateway"), l.active);
    for (const g of l.gateways) {
      const dir = path.join(root, "gateways", g.name);
      await mkdir(path.join(dir, "mtls"), { recursive: true });
      if (g.metadata !== undefined) await writeFile(path.join(dir, "metadata.json"), g.metadata);
      for (const [file, text] of Object.entries(g.mtls)) await writeFile(path.join(dir, "mtls", file), text);
      if (g.edgeToken !== undefined) await writeFile(path.join(dir, "edge_token"), g.edgeToken);
      if (g.oidcToken !== undefined) await writeFile(path.join(dir, "oidc_token.json"), g.oidcToken);
    }
  }

  /** A GatewayConfigError says which file or variable is at fault, or lists all it looked at. */
  function expectConfigError(error: unknown): void {
    if (!(error instanceof GatewayConfigError)) {
      throw new Error(`expected GatewayConfigError, got ${String(error)}`, { cause: error });
    }
    if (error.source === undefined) {
      expect(error.message).toMatch(/^no gateway configured\. Looked at: /);
    } else {
      expect(error.message, "the message names the file or variable").toContain(error.source);
    }
  }

  it(
    `connect() over random config roots and env: a client, or GatewayConfigError naming the file (${connectRuns} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(layout(), fc.boolean(), async (l, viaXdg) => {
          cases.count();
          const base = await mkdtemp(path.join(tmpdir(), "openshell-fuzz-discovery-"));
          try {
            const home = path.join(base, "home");
            const xdg = path.join(base, "xdg");
            const root = viaXdg ? path.join(xdg, "openshell") : path.join(home, ".config", "openshell");
            await writeLayout(root, l);
            const env: Record<string, string> = {
              HOME: home,
              OPENSHELL_SYSTEM_GATEWAY_DIR: path.join(base, "etc-openshell"),
              ...l.env,
              ...(viaXdg ? { XDG_CONFIG_HOME: xdg } : {}),
            };
            const connected = await settle(() =>
              OpenShell.connect({
                env,
                homeDir: home,
                platform: "linux",
                retry: false,
                timeouts: { callTimeoutMs: 3_000, handshakeTimeoutMs: 3_000 },
              }),
            );
            if (!connected.ok) {
              expectConfigError(connected.error);
              return;
            }
            // The first call reads what connect() left for later (the OIDC token, the PEM files):
            // nobody answers there, and whatever fails is one of the SDK's own errors.
            const os = connected.value;
            // Only this machine's loopback: a hostile endpoint must not send the fuzz onto the network.
            if (!["127.0.0.1", "localhost"].includes(new URL(os.endpoint).hostname)) {
              await os.close();
              return;
            }
            try {
              const call = await settle(() => os.health());
              expect(call.ok).toBe(false);
              // Nobody answers: the call fails reaching the gateway, or on the configuration it read
              // (naming the file), never as "the gateway failed" or a raw error.
              const expected = [UnavailableError, TlsError, GatewayConfigError, UnauthenticatedError];
              if (!call.ok && !expected.some((type) => call.error instanceof type)) {
                throw new Error(
                  `the first call failed with ${inspect(call.error, { depth: 3 }).slice(0, 1500)}`,
                );
              }
              if (!call.ok && call.error instanceof GatewayConfigError) expectConfigError(call.error);
            } finally {
              await os.close();
            }
          } finally {
            await rm(base, { recursive: true, force: true });
          }
        }),
        settings(connectRuns, 8_000),
      );
    },
    timeFor(connectRuns, 40),
  );
});
