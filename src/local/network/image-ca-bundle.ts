import type { ImageFileRead } from "../sandboxes/image-archive-file.js";

/**
 * Where images keep their system CA bundle, in the order they are looked for: Debian and Ubuntu
 * (and Alpine's ca-certificates), Fedora and RHEL, Alpine and Arch (`cert.pem`), openSUSE.
 */
export const IMAGE_CA_BUNDLE_PATHS = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
  "/etc/ssl/ca-bundle.pem",
] as const;

/** A system bundle larger than this is not one (Mozilla's whole set is about 220 KiB). */
export const MAX_CA_BUNDLE_BYTES = 4 * 1024 * 1024;

/**
 * An image's system CA bundle as found: the first of IMAGE_CA_BUNDLE_PATHS that is a file holding
 * a certificate, or none (`skipped` says why paths that exist were passed over).
 */
export type ImageCaBundle =
  | { found: true; path: string; text: string }
  | { found: false; skipped: readonly string[] };

/** Whether `text` holds at least one PEM certificate. */
export function holdsCertificate(text: string): boolean {
  return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text);
}

/**
 * The image's bundle, reading IMAGE_CA_BUNDLE_PATHS in order with `read`. A path that exists but is
 * not a file, cannot be read or holds no certificate is passed over (an empty placeholder file must
 * not hide the real bundle at the next path), and said in `skipped`.
 */
export async function findImageCaBundle(
  read: (path: string) => Promise<ImageFileRead>,
): Promise<ImageCaBundle> {
  const skipped: string[] = [];
  for (const path of IMAGE_CA_BUNDLE_PATHS) {
    const file = await read(path);
    if (file.kind === "missing") continue;
    if (file.kind === "unreadable") {
      skipped.push(file.why);
      continue;
    }
    if (holdsCertificate(file.text)) return { found: true, path, text: file.text };
    skipped.push(`${path} holds no certificate`);
  }
  return { found: false, skipped };
}

/**
 * What a sandbox's `ca-bundle.pem` holds: the image's own roots as the image has them (comments and
 * all, as upstream copies the system bundle), then the egress CA, so a tool pointed at it by
 * SSL_CERT_FILE trusts both the proxy and every host the image trusted. No roots: the CA alone.
 */
export function assembleTrustBundle(imageRoots: string | undefined, caCert: string): string {
  const roots = imageRoots ?? "";
  const separator = roots === "" || roots.endsWith("\n") ? "" : "\n";
  return `${roots}${separator}${caCert.endsWith("\n") ? caCert : `${caCert}\n`}`;
}
