import type { ContainerRuntime } from "../../runtime/container-runtime.js";
import type { ImageInfo } from "../../runtime/image-types.js";
import { AccountProbeError, type ImageAccountProbe } from "../sandboxes/image-account-probe.js";
import type { ImageCaBundle } from "./image-ca-bundle.js";
import type { SandboxTrustBundles, TrustMount } from "./sandbox-trust-bundles.js";

/** What choosing a sandbox's trust folder needs. */
export interface TrustMountContext {
  bundles: SandboxTrustBundles;
  runtime: Pick<ContainerRuntime, "capabilities">;
  /** Reads the image's CA bundle (with whatever else the sandbox asked it for). */
  probe: Pick<ImageAccountProbe, "facts">;
  /** A WARN line on the sandbox's gateway log. */
  warn: (message: string) => void;
}

/** Whether the image's bundle must still be read for its folder (to ask the probe for it early). */
export async function needsImageCaBundle(
  context: Omit<TrustMountContext, "probe" | "warn">,
  image: Pick<ImageInfo, "id">,
): Promise<boolean> {
  return (
    context.runtime.capabilities.has("archive-copy") &&
    (await context.bundles.existing(image.id)) === undefined
  );
}

/**
 * The trust folder a sandbox mounts at /etc/openshell-tls: its image's (the image's system CA
 * bundle, read once per image id without running it, plus the egress CA; the CA alone for an image
 * without one). Where the runtime cannot copy files out of a container (Apple `container`), or the
 * image could not be read (said with a WARN), this host's roots stand in for the image's: most
 * images trust the same public roots, and the proxy's own certificates are trusted either way.
 */
export async function trustMountFor(
  context: TrustMountContext,
  imageRef: string,
  image: Pick<ImageInfo, "id">,
  signal: AbortSignal,
): Promise<TrustMount> {
  const { bundles } = context;
  const made = await bundles.existing(image.id);
  if (made !== undefined) return made;
  if (!context.runtime.capabilities.has("archive-copy")) return bundles.ensure({ host: true });
  let found: ImageCaBundle;
  try {
    found = (await context.probe.facts(image, { caBundle: true }, signal)).caBundle as ImageCaBundle;
  } catch (error) {
    if (!(error instanceof AccountProbeError)) throw error;
    context.warn(
      `the CA bundle of image ${imageRef} could not be read (${error.message}): the sandbox trusts this host's CA bundle and the egress CA instead`,
    );
    return bundles.ensure({ host: true });
  }
  return bundles.ensure({ imageId: image.id, roots: found.found ? found.text : undefined });
}
