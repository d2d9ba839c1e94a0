import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureEgressTls } from "../../../../src/local/network/egress-certificates.js";
import { SandboxTrustBundles } from "../../../../src/local/network/sandbox-trust-bundles.js";
import { createCertificateAuthority } from "../../../support/certs.js";

const hex = "ab".repeat(32);
const dockerId = `sha256:${hex}`;
const roots = "# the image's roots\n-----BEGIN CERTIFICATE-----\nUk9PVA==\n-----END CERTIFICATE-----\n";
const fresh = () => join(mkdtempSync(join(tmpdir(), "openshell-trust-")), "bundles");
const mode = (file: string) => statSync(file).mode & 0o777;

describe("SandboxTrustBundles", () => {
  it("writes an image's folder: the CA, the image's roots then the CA, readable by every user, mounted read-only at /etc/openshell-tls", async () => {
    const ca = await createCertificateAuthority("trust-test-ca");
    const dir = fresh();
    const bundles = new SandboxTrustBundles(dir, ca.cert, undefined);
    await bundles.refresh();
    const mount = await bundles.ensure({ imageId: dockerId, roots });
    expect(mount).toEqual({
      type: "bind",
      source: join(dir, hex),
      target: "/etc/openshell-tls",
      readOnly: true,
    });
    const caFile = readFileSync(join(dir, hex, "openshell-ca.pem"), "utf8");
    expect(caFile).toBe(`${ca.cert.trimEnd()}\n`);
    expect(readFileSync(join(dir, hex, "ca-bundle.pem"), "utf8")).toBe(`${roots}${caFile}`);
    expect(readdirSync(join(dir, hex)).sort()).toEqual(["ca-bundle.pem", "openshell-ca.pem"]);
    expect([mode(dir), mode(join(dir, hex))]).toEqual([0o755, 0o755]);
    expect([mode(join(dir, hex, "ca-bundle.pem")), mode(join(dir, hex, "openshell-ca.pem"))]).toEqual([
      0o644, 0o644,
    ]);
    // Known from now on, also to a gateway started later on the same folder.
    expect(await new SandboxTrustBundles(dir, ca.cert, undefined).existing(dockerId)).toEqual(mount);
  });

  it("names a folder by the id's digest (Docker's sha256: form or bare) and hashes any other id", () => {
    expect(SandboxTrustBundles.keyOf(dockerId)).toBe(hex);
    expect(SandboxTrustBundles.keyOf(hex)).toBe(hex);
    const other = SandboxTrustBundles.keyOf("../../etc/x");
    expect(other).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives an image without roots the CA alone", async () => {
    const ca = await createCertificateAuthority("trust-test-ca");
    const dir = fresh();
    const mount = await new SandboxTrustBundles(dir, ca.cert, undefined).ensure({
      imageId: hex,
      roots: undefined,
    });
    expect(readFileSync(join(mount.source, "ca-bundle.pem"), "utf8")).toBe(`${ca.cert.trimEnd()}\n`);
  });

  it("makes this host's roots the fallback folder's, and the CA alone on a host without", async () => {
    const ca = await createCertificateAuthority("trust-test-ca");
    const dir = fresh();
    const hostMount = await new SandboxTrustBundles(dir, ca.cert, roots).ensure({ host: true });
    expect(hostMount.source).toBe(join(dir, "host-roots"));
    expect(readFileSync(join(dir, "host-roots", "ca-bundle.pem"), "utf8")).toBe(
      `${roots}${ca.cert.trimEnd()}\n`,
    );
    await new SandboxTrustBundles(dir, ca.cert, undefined).ensure({ host: true });
    expect(readFileSync(join(dir, "host-roots", "ca-bundle.pem"), "utf8")).toBe(`${ca.cert.trimEnd()}\n`);
  });

  it("makes every folder again with a new CA at start, in place, so running sandboxes' mounts see it", async () => {
    const [oldCa, newCa] = await Promise.all([
      createCertificateAuthority("old-ca"),
      createCertificateAuthority("new-ca"),
    ]);
    const dir = fresh();
    await new SandboxTrustBundles(dir, oldCa.cert, undefined).ensure({ imageId: hex, roots });
    const inode = statSync(join(dir, hex)).ino;
    await new SandboxTrustBundles(dir, newCa.cert, undefined).refresh();
    expect(statSync(join(dir, hex)).ino).toBe(inode);
    expect(readFileSync(join(dir, hex, "ca-bundle.pem"), "utf8")).toBe(`${roots}${newCa.cert.trimEnd()}\n`);
    expect(readFileSync(join(dir, hex, "openshell-ca.pem"), "utf8")).toBe(`${newCa.cert.trimEnd()}\n`);
  });

  it("removes the folders of images no remaining sandbox uses, and nothing it did not make", async () => {
    const ca = await createCertificateAuthority("trust-test-ca");
    const dir = fresh();
    const bundles = new SandboxTrustBundles(dir, ca.cert, undefined);
    const other = "cd".repeat(32);
    await bundles.ensure({ imageId: hex, roots });
    await bundles.ensure({ imageId: other, roots: undefined });
    await bundles.ensure({ host: true });
    mkdirSync(join(dir, "someone-elses"));
    writeFileSync(join(dir, "notes.txt"), "kept");
    await bundles.prune([dockerId]);
    expect(readdirSync(dir).sort()).toEqual(
      [hex, `${hex}.roots.pem`, "host-roots", "host-roots.roots.pem", "notes.txt", "someone-elses"].sort(),
    );
    expect(await bundles.existing(other)).toBeUndefined();
  });
});

describe("ensureEgressTls", () => {
  it("keeps the CA across starts and hands out the trust folders under the state directory", async () => {
    const state = mkdtempSync(join(tmpdir(), "openshell-trust-state-"));
    const first = await ensureEgressTls(state);
    await first.trustBundles.ensure({ imageId: hex, roots });
    const second = await ensureEgressTls(state);
    expect(second.caCert).toBe(first.caCert);
    expect(second.trustBundles.dir).toBe(join(state, "egress-tls", "bundles"));
    expect(await second.trustBundles.existing(hex)).toMatchObject({
      source: join(state, "egress-tls", "bundles", hex),
    });
  });
});
