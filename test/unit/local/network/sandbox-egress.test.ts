import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EgressTls } from "../../../../src/local/network/egress-certificates.js";
import type { EgressIsolation } from "../../../../src/local/network/egress-isolation.js";
import { readProxyPort } from "../../../../src/local/network/proxy-port.js";
import { SandboxEgress } from "../../../../src/local/network/sandbox-egress.js";
import { SandboxTrustBundles } from "../../../../src/local/network/sandbox-trust-bundles.js";
import { ProcessInspector } from "../../../../src/local/processes/process-inspector.js";
import type { LocalStateStore } from "../../../../src/local/state/state-store.js";
import { createCertificateAuthority } from "../../../support/certs.js";

/** The proxy really listens, on loopback standing in for the host's address on the sandbox network. */
const isolation = (onHost = true): EgressIsolation => ({
  attachment: onHost ? { bridge: "lo", address: "127.0.0.1", prefixLength: 8 } : undefined,
  limitation: undefined,
  guard: vi.fn(async () => undefined),
  remove: async () => undefined,
});
const ca = await createCertificateAuthority("sandbox-egress-test-ca");
const tls: EgressTls = {
  ca,
  inference: { cert: "", key: "" },
  caCert: ca.cert,
  publicDir: "/state/egress-tls/public",
  systemRoots: undefined,
  trustBundles: new SandboxTrustBundles("/state/egress-tls/bundles", ca.cert, undefined),
};

const started: SandboxEgress[] = [];
const start = async (
  options: {
    isolation?: EgressIsolation;
    tls?: EgressTls;
    stateDir?: string;
    inspector?: ProcessInspector;
  } = {},
) => {
  const egress = await SandboxEgress.start({
    isolation: options.isolation ?? isolation(),
    stateDir: options.stateDir ?? mkdtempSync(join(tmpdir(), "openshell-egress-")),
    store: {} as LocalStateStore,
    runtime: { kind: "docker" },
    network: "openshell-local-0123456789abcdef",
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.inspector === undefined
      ? {}
      : { processes: { visibility: { visible: true as const }, inspector: options.inspector } }),
  });
  started.push(egress);
  return egress;
};

afterEach(async () => {
  await Promise.all(started.splice(0).map((egress) => egress.close()));
});

describe("SandboxEgress", () => {
  it("drops a retired sandbox's pinned binary hashes, so a gateway running for long keeps no pins of sandboxes gone", async () => {
    const inspector = new ProcessInspector(mkdtempSync(join(tmpdir(), "openshell-proc-")));
    const forget = vi.spyOn(inspector, "forget");
    const egress = await start({ inspector });
    egress.sandboxGone("sandbox-1");
    expect(forget).toHaveBeenCalledWith("sandbox-1");
  });

  it("points sandboxes at the proxy in both spellings, keeps loopback direct and opens the port in the firewall", async () => {
    const guarded = isolation();
    const stateDir = mkdtempSync(join(tmpdir(), "openshell-egress-"));
    const egress = await start({ isolation: guarded, stateDir });
    const port = readProxyPort(stateDir);
    const url = `http://127.0.0.1:${port}`;
    expect(egress.proxyUrl).toBe(url);
    expect(guarded.guard).toHaveBeenCalledWith([port]);
    expect(egress.env()).toEqual({
      HTTP_PROXY: url,
      HTTPS_PROXY: url,
      http_proxy: url,
      https_proxy: url,
      ALL_PROXY: url,
      all_proxy: url,
      grpc_proxy: url,
      NO_PROXY: "localhost,127.0.0.1,::1",
      no_proxy: "localhost,127.0.0.1,::1",
      NODE_USE_ENV_PROXY: "1",
    });
    expect(egress.mounts()).toEqual([]);
    expect(egress.note).toBeUndefined();
  });

  it("listens where the state directory says after a restart", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "openshell-egress-"));
    const first = await start({ stateDir });
    const url = first.proxyUrl;
    await first.close();
    expect((await start({ stateDir })).proxyUrl).toBe(url);
  });

  it("names upstream's CA and bundle files for every tool that reads a variable, and keeps the older CA folder mounted", async () => {
    const egress = await start({ tls });
    expect(egress.env()).toMatchObject({
      NODE_EXTRA_CA_CERTS: "/etc/openshell-tls/openshell-ca.pem",
      DENO_CERT: "/etc/openshell-tls/openshell-ca.pem",
      SSL_CERT_FILE: "/etc/openshell-tls/ca-bundle.pem",
      REQUESTS_CA_BUNDLE: "/etc/openshell-tls/ca-bundle.pem",
      CURL_CA_BUNDLE: "/etc/openshell-tls/ca-bundle.pem",
      GIT_SSL_CAINFO: "/etc/openshell-tls/ca-bundle.pem",
    });
    expect(egress.mounts()).toEqual([
      { type: "bind", source: "/state/egress-tls/public", target: "/etc/openshell/tls", readOnly: true },
    ]);
    // Provisioning mounts the sandbox's image's folder from these.
    expect(egress.trustBundles).toBe(tls.trustBundles);
  });

  it("gives sandboxes without a way to the proxy neither the variables nor trust folders", async () => {
    const egress = await start({ tls, isolation: isolation(false) });
    expect(egress.env()).toEqual({});
    expect(egress.mounts()).toEqual([]);
    expect(egress.trustBundles).toBeUndefined();
  });

  it("starts where the engine has not yet put its gateway address on this host (Apple's vmnet), fixing the port sandboxes get", async () => {
    // 192.0.2.0/24 is reserved for documentation: no interface here holds it, so listening fails
    // with EADDRNOTAVAIL, as it does on a Mac until vmnet brings the network's host side up.
    const later: EgressIsolation = {
      ...isolation(),
      attachment: { bridge: undefined, address: "192.0.2.77", prefixLength: 24 },
    };
    const stateDir = mkdtempSync(join(tmpdir(), "openshell-egress-"));
    const egress = await start({ isolation: later, stateDir });
    const port = readProxyPort(stateDir);
    expect(port).toBeGreaterThan(0);
    expect(egress.proxyUrl).toBe(`http://192.0.2.77:${port}`);
    expect(egress.env().HTTP_PROXY).toBe(`http://192.0.2.77:${port}`);
    expect(later.guard).toHaveBeenCalledWith([port]);
    // Closing stops the retries at once.
    const before = Date.now();
    await egress.close();
    expect(Date.now() - before).toBeLessThan(1000);
  });

  it("still fails to start on a bridge this host configures when its address cannot be listened on", async () => {
    const bridged: EgressIsolation = {
      ...isolation(),
      attachment: { bridge: "os-0123456789ab", address: "192.0.2.77", prefixLength: 24 },
    };
    await expect(start({ isolation: bridged })).rejects.toMatchObject({ code: "EADDRNOTAVAIL" });
  });

  it("gives sandboxes no proxy, CA or mount when they cannot reach this host", async () => {
    const off = isolation(false);
    const egress = await start({ isolation: off, tls });
    expect(egress.proxyUrl).toBeUndefined();
    expect(egress.env()).toEqual({});
    expect(egress.mounts()).toEqual([]);
    expect(off.guard).not.toHaveBeenCalled();
  });
});
