import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ImageCaBundle } from "../../../../src/local/network/image-ca-bundle.js";
import { SandboxTrustBundles } from "../../../../src/local/network/sandbox-trust-bundles.js";
import { needsImageCaBundle, trustMountFor } from "../../../../src/local/network/sandbox-trust-mount.js";
import { AccountProbeError } from "../../../../src/local/sandboxes/image-account-probe.js";
import type { Capability } from "../../../../src/runtime/capabilities.js";

const CA = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const IMAGE_ROOTS = "-----BEGIN CERTIFICATE-----\nSU1BR0U=\n-----END CERTIFICATE-----\n";
const HOST_ROOTS = "-----BEGIN CERTIFICATE-----\nSE9TVA==\n-----END CERTIFICATE-----\n";
const image = { id: `sha256:${"12".repeat(32)}` };

/** Trust folders in a fresh directory, a runtime with or without archive-copy, and a probe answering `answer`. */
function context(options: { archiveCopy: boolean; answer: () => Promise<ImageCaBundle> }) {
  const bundles = new SandboxTrustBundles(
    join(mkdtempSync(join(tmpdir(), "openshell-mount-")), "bundles"),
    CA,
    HOST_ROOTS,
  );
  const asked: string[] = [];
  const warnings: string[] = [];
  const capabilities = new Set<Capability>(options.archiveCopy ? ["archive-copy"] : []);
  return {
    bundles,
    asked,
    warnings,
    context: {
      bundles,
      runtime: { capabilities },
      probe: {
        facts: async (of: { id: string }) => {
          asked.push(of.id);
          return { caBundle: await options.answer() };
        },
      },
      warn: (message: string) => warnings.push(message),
    },
  };
}

const bundleOf = (source: string) => readFileSync(join(source, "ca-bundle.pem"), "utf8");
const signal = new AbortController().signal;

describe("trustMountFor", () => {
  it("mounts the image's roots plus the CA, read once per image id", async () => {
    const { context: c, asked } = context({
      archiveCopy: true,
      answer: async () => ({ found: true, path: "/etc/ssl/certs/ca-certificates.crt", text: IMAGE_ROOTS }),
    });
    expect(await needsImageCaBundle(c, image)).toBe(true);
    const mount = await trustMountFor(c, "img:1", image, signal);
    expect(mount.target).toBe("/etc/openshell-tls");
    expect(bundleOf(mount.source)).toBe(`${IMAGE_ROOTS}${CA}`);
    expect(await needsImageCaBundle(c, image)).toBe(false);
    expect(await trustMountFor(c, "img:1", image, signal)).toEqual(mount);
    expect(asked).toEqual([image.id]);
  });

  it("mounts the CA alone for an image without a bundle", async () => {
    const { context: c } = context({
      archiveCopy: true,
      answer: async () => ({ found: false, skipped: [] }),
    });
    expect(bundleOf((await trustMountFor(c, "busybox", image, signal)).source)).toBe(CA);
  });

  it("stands this host's roots in for the image's where files cannot be copied out (Apple container), asking no probe", async () => {
    const {
      context: c,
      asked,
      warnings,
    } = context({
      archiveCopy: false,
      answer: async () => ({ found: false, skipped: [] }),
    });
    expect(await needsImageCaBundle(c, image)).toBe(false);
    const mount = await trustMountFor(c, "img:1", image, signal);
    expect(bundleOf(mount.source)).toBe(`${HOST_ROOTS}${CA}`);
    expect([asked, warnings]).toEqual([[], []]);
  });

  it("says so with a WARN and uses this host's roots when the probe failed, keeping nothing for the image", async () => {
    const { context: c, warnings } = context({
      archiveCopy: true,
      answer: async () => {
        throw new AccountProbeError("no such image");
      },
    });
    const mount = await trustMountFor(c, "img:1", image, signal);
    expect(bundleOf(mount.source)).toBe(`${HOST_ROOTS}${CA}`);
    expect(warnings).toEqual([
      "the CA bundle of image img:1 could not be read (no such image): the sandbox trusts this host's CA bundle and the egress CA instead",
    ]);
    expect(await needsImageCaBundle(c, image)).toBe(true);
  });
});
