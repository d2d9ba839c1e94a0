import { parseImageReference } from "openshell/runtime";

/**
 * An image id as `sha256:<64 hex>`. Docker's and Podman's compatible API say `sha256:...`; Podman's
 * own API and CLI give the bare hex. Both are the digest of the image's config, so an image moved
 * from one engine to another keeps it.
 */
export function normaliseImageId(id: string): string {
  const lower = id.trim().toLowerCase();
  return /^[0-9a-f]{64}$/.test(lower) ? `sha256:${lower}` : lower;
}

/** True when `ref` names the image by its id (`sha256:<hex>`, or a prefix of the hex of 12 or more). */
export function refersToId(ref: string, id: string): boolean {
  const full = normaliseImageId(id);
  if (ref.startsWith("sha256:")) return normaliseImageId(ref) === full;
  return /^[0-9a-f]{12,64}$/.test(ref) && full.slice("sha256:".length).startsWith(ref);
}

/**
 * The full name containerd keeps an image under, which is what Kubernetes (and `ctr`) look up for
 * `ref`: `docker.io` when it names no registry, `library/` for a one-part Docker Hub name, `:latest`
 * when it has no tag. `openshell-test/agent:1` -> `docker.io/openshell-test/agent:1`.
 */
export function containerdName(ref: string): string {
  const parsed = parseImageReference(ref, { field: "image", tagOnly: true });
  const domain = parsed.domain ?? "docker.io";
  const path = domain === "docker.io" && !parsed.path.includes("/") ? `library/${parsed.path}` : parsed.path;
  return `${domain}/${path}:${parsed.tag ?? "latest"}`;
}

/** `1234567` bytes as `1.2 MiB`, for progress messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
