import { z } from "zod";
import type { ImageInfo } from "../../image-types.js";
import type { NetworkInfo, VolumeInfo } from "../../network-types.js";
import { labelsSchema, parseCliJson } from "./cli-json.js";

/*
 * Images, networks, volumes and the system status as the CLI prints them. Each schema accepts the
 * pre-1.0 shape (flat records) and the 1.0+ one (records with a nested `configuration`).
 */

const descriptorSchema = z.looseObject({ digest: z.string(), size: z.number().nullish() });

const variantSchema = z.looseObject({
  platform: z.looseObject({ os: z.string().nullish(), architecture: z.string().nullish() }).nullish(),
  size: z.number().nullish(),
  /** The OCI image config: `config.Labels`, `User`, `WorkingDir`, `Entrypoint`, `Cmd` and `Env` as the image sets them. */
  config: z
    .looseObject({
      os: z.string().nullish(),
      architecture: z.string().nullish(),
      config: z
        .looseObject({
          Labels: labelsSchema,
          User: z.string().nullish(),
          WorkingDir: z.string().nullish(),
          Entrypoint: z.array(z.string()).nullish(),
          Cmd: z.array(z.string()).nullish(),
          Env: z.array(z.string()).nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

const imageSchema = z
  .looseObject({
    id: z.string().nullish(),
    /** `image inspect` (all versions) and `image list` (1.0+). */
    name: z.string().nullish(),
    /** `image list` before 1.0. */
    reference: z.string().nullish(),
    descriptor: descriptorSchema.nullish(),
    /**
     * `image inspect` and `image list` as released from 1.0.0 on print `{id, configuration: {name,
     * descriptor, creationDate}, variants}`, `id` being the digest's hex without `sha256:`.
     * `configuration.reference` (beside a top-level `name` and `index`) is the shape of development
     * builds just before 1.0.0 (apple/container 55f1e4fd).
     */
    configuration: z
      .looseObject({
        name: z.string().nullish(),
        reference: z.string().nullish(),
        descriptor: descriptorSchema.nullish(),
      })
      .nullish(),
    index: descriptorSchema.nullish(),
    variants: z.array(variantSchema).nullish(),
  })
  .refine((image) => imageName(image) !== undefined, "an image has neither name nor reference");
type ImageRecord = z.output<typeof imageSchema>;
type Variant = z.output<typeof variantSchema>;

export const imageListSchema = z.array(imageSchema);

interface NamedImage {
  name?: string | null | undefined;
  reference?: string | null | undefined;
  configuration?:
    | { name?: string | null | undefined; reference?: string | null | undefined }
    | null
    | undefined;
}

function imageName(image: NamedImage): string | undefined {
  return (
    image.name ?? image.reference ?? image.configuration?.name ?? image.configuration?.reference ?? undefined
  );
}

/** Parses `image inspect` or `image list --format json` output into ImageInfo, one per image. */
export function parseImages(stdout: string, commandLine: string, hostArch: string): ImageInfo[] {
  return parseCliJson(stdout, imageListSchema, commandLine).map((image) => toImageInfo(image, hostArch));
}

/**
 * An image holds one variant per platform; ImageInfo describes one, so the one this Mac runs is
 * chosen (linux on the host's architecture), then any real platform (attestation manifests say
 * `unknown`), then the first.
 */
function pickVariant(variants: readonly Variant[], hostArch: string): Variant | undefined {
  const real = variants.filter((v) => v.platform?.os !== "unknown" && v.platform?.architecture !== "unknown");
  return (
    real.find((v) => v.platform?.os === "linux" && v.platform.architecture === hostArch) ??
    real[0] ??
    variants[0]
  );
}

function toImageInfo(image: ImageRecord, hostArch: string): ImageInfo {
  const name = imageName(image) ?? "";
  const descriptor = image.index ?? image.configuration?.descriptor ?? image.descriptor;
  const variant = pickVariant(image.variants ?? [], hostArch);
  return {
    id: descriptor?.digest ?? image.id ?? name,
    tags: [name],
    os: variant?.platform?.os ?? variant?.config?.os ?? "linux",
    architecture: variant?.platform?.architecture ?? variant?.config?.architecture ?? "unknown",
    sizeBytes: variant?.size ?? descriptor?.size ?? 0,
    labels: variant?.config?.config?.Labels ?? {},
    user: variant?.config?.config?.User ?? "",
    workdir: variant?.config?.config?.WorkingDir ?? "",
    entrypoint: variant?.config?.config?.Entrypoint ?? [],
    cmd: variant?.config?.config?.Cmd ?? [],
    env: variant?.config?.config?.Env ?? [],
    // The CLI reports the index digest it pulled (the image id here), not per-registry digests.
    repoDigests: [],
  };
}

const networkConfigSchema = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  mode: z.string().nullish(),
  /** 0.8.0 on. */
  ipv4Subnet: z.string().nullish(),
  /** 0.5.0-0.7.x. */
  subnet: z.string().nullish(),
  labels: labelsSchema,
});

/** A running network's addresses: `{ipv4Subnet, ipv4Gateway}` from 0.8.0, `{address, gateway}` before. */
const networkStatusSchema = z.looseObject({
  ipv4Subnet: z.string().nullish(),
  ipv4Gateway: z.string().nullish(),
  address: z.string().nullish(),
  gateway: z.string().nullish(),
});

const networkSchema = z
  .looseObject({
    id: z.string().nullish(),
    /** 1.0+. */
    configuration: networkConfigSchema.nullish(),
    /** Before 1.0: `{id, state, config, status}`. */
    config: networkConfigSchema.nullish(),
    /** Absent while a network is `created`, not yet `running` (before 1.0). */
    status: networkStatusSchema.nullish(),
  })
  .refine((network) => networkName(network) !== undefined, "a network has neither name nor id");

interface NamedNetwork {
  id?: string | null | undefined;
  configuration?: { id?: string | null | undefined; name?: string | null | undefined } | null | undefined;
  config?: { id?: string | null | undefined; name?: string | null | undefined } | null | undefined;
}

function networkName(network: NamedNetwork): string | undefined {
  const config = network.configuration ?? network.config;
  return config?.name ?? config?.id ?? network.id ?? undefined;
}

/**
 * Parses `network list --format json` and `network inspect`. A `hostOnly` network (`--internal`,
 * 0.9.0 on) has no route beyond this Mac and is reported as internal, although it does reach the
 * host itself, at the gateway address (the host's side of the network).
 */
export function parseNetworks(stdout: string, commandLine: string): NetworkInfo[] {
  return parseCliJson(stdout, z.array(networkSchema), commandLine).map((network) => {
    const name = networkName(network) ?? "";
    const config = network.configuration ?? network.config;
    const subnet =
      network.status?.ipv4Subnet ?? network.status?.address ?? config?.ipv4Subnet ?? config?.subnet;
    const gateway = network.status?.ipv4Gateway ?? network.status?.gateway;
    return {
      id: network.id ?? name,
      name,
      internal: config?.mode === "hostOnly",
      labels: config?.labels ?? {},
      ...(subnet == null ? {} : { subnet }),
      ...(gateway == null ? {} : { gateway }),
    };
  });
}

const volumeSchema = z
  .looseObject({
    id: z.string().nullish(),
    /** Before 1.0: flat `{name, driver, labels, ...}`. */
    name: z.string().nullish(),
    labels: labelsSchema,
    /** 1.0+: `{id, configuration: {name, labels, ...}}`. */
    configuration: z.looseObject({ name: z.string().nullish(), labels: labelsSchema }).nullish(),
  })
  .refine(
    (volume) => (volume.configuration?.name ?? volume.name ?? volume.id) != null,
    "a volume has no name",
  );

/** Parses `volume list --format json`. */
export function parseVolumes(stdout: string, commandLine: string): VolumeInfo[] {
  return parseCliJson(stdout, z.array(volumeSchema), commandLine).map((volume) => ({
    name: volume.configuration?.name ?? volume.name ?? volume.id ?? "",
    labels:
      volume.configuration === null || volume.configuration === undefined
        ? volume.labels
        : volume.configuration.labels,
  }));
}

/**
 * `system status --format json` (0.10.0 on; earlier CLIs print text only): every release up to
 * 1.2.2 prints `{status, appRoot, installRoot, logRoot?, apiServerVersion, ...}`. The
 * `{status, client, server, host, paths, resources, defaults}` shape of an unmerged change
 * (apple/container pull request 1769) is accepted too, so `host.architecture` is read if a release
 * adopts it. `status` is `running`, `not running` or `unregistered` (the CLI exits 1 for the last
 * two).
 */
export const systemStatusSchema = z.looseObject({
  status: z.string(),
  apiServerVersion: z.string().nullish(),
  client: z.looseObject({ version: z.string().nullish() }).nullish(),
  server: z.looseObject({ version: z.string().nullish() }).nullish(),
  host: z.looseObject({ architecture: z.string().nullish() }).nullish(),
});
export type SystemStatus = z.output<typeof systemStatusSchema>;

/**
 * The version number in a banner: `container CLI version 1.1.0 (build: release, commit: 5973b9c)`
 * gives `1.1.0`. The trimmed text when there is no number in it.
 */
export function parseVersion(text: string): string {
  const match =
    /\bversion\s+v?(\d+(?:\.\d+)+[^\s(),]*)/i.exec(text) ?? /\b(\d+\.\d+\.\d+[^\s(),]*)/.exec(text);
  return match?.[1] ?? text.trim();
}
