import { z } from "zod";
import type {
  ContainerAddress,
  ContainerInfo,
  ContainerState,
  ContainerSummary,
  PublishedPort,
} from "../../container-info.js";
import { cliDateSchema, labelsSchema, parseCliDate, parseCliJson } from "./cli-json.js";

/**
 * `container list --all --format json` (and `container inspect`, which prints the same records) in
 * both JSON generations:
 *
 * - 1.0+: `{id, configuration, status: {state, networks, startedDate}}`, dates in ISO 8601;
 * - before 1.0: `{configuration, status: "running", networks, startedDate}`, dates as numbers.
 *
 * Only what the driver reads is required; everything else may come and go between CLI versions.
 */

const attachmentSchema = z.looseObject({
  network: z.string().nullish(),
  /** 1.0+ and late 0.x. */
  ipv4Address: z.string().nullish(),
  /** Early 0.x. */
  address: z.string().nullish(),
});

const publishedPortSchema = z.looseObject({
  hostAddress: z.unknown(),
  hostPort: z.number(),
  containerPort: z.number(),
  proto: z.string().nullish(),
  count: z.number().nullish(),
});

const configurationSchema = z.looseObject({
  id: z.string(),
  image: z.looseObject({ reference: z.string() }),
  labels: labelsSchema,
  publishedPorts: z.array(publishedPortSchema).nullish(),
});

/** Exit details, which only some CLI versions report (none documented at the time of writing). */
const exitFields = {
  exitCode: z.number().nullish(),
  exitRecord: z.looseObject({ exitCode: z.number(), exitedAt: cliDateSchema }).nullish(),
};

const modernRecordSchema = z.looseObject({
  id: z.string().nullish(),
  configuration: configurationSchema,
  status: z.looseObject({
    state: z.string(),
    networks: z.array(attachmentSchema).nullish(),
    startedDate: cliDateSchema,
    ...exitFields,
  }),
});

const legacyRecordSchema = z.looseObject({
  configuration: configurationSchema,
  status: z.string(),
  networks: z.array(attachmentSchema).nullish(),
  startedDate: cliDateSchema,
  ...exitFields,
});

export const containerListSchema = z.array(z.union([modernRecordSchema, legacyRecordSchema]));
type ModernRecord = z.output<typeof modernRecordSchema>;
type LegacyRecord = z.output<typeof legacyRecordSchema>;
type ContainerRecord = ModernRecord | LegacyRecord;
type Attachment = z.output<typeof attachmentSchema>;

/** Parses `container list --all --format json` output (either generation). */
export function parseContainerList(stdout: string, commandLine: string): ContainerInfo[] {
  return parseCliJson(stdout, containerListSchema, commandLine).map(toContainerInfo);
}

/**
 * The CLI's states are `running`, `stopped`, `stopping`, `unknown` (and `bootstrapped` for a VM
 * that booted but whose process has not started). It has no `created` state: a stopped container
 * that never started is reported as `created`, one that ran as `exited`.
 */
export function mapState(state: string, hasStarted: boolean): ContainerState {
  switch (state) {
    case "running":
      return "running";
    case "stopping":
      return "stopping";
    case "stopped":
      return hasStarted ? "exited" : "created";
    case "bootstrapped":
    case "created":
      return "created";
    default:
      return "unknown";
  }
}

interface NormalizedRecord {
  state: string;
  networks: readonly Attachment[];
  startedDate: string | number | null | undefined;
  exit: { exitCode?: number | null | undefined; exitRecord?: LegacyRecord["exitRecord"] };
}

function isLegacy(record: ContainerRecord): record is LegacyRecord {
  return typeof record.status === "string";
}

/** The two generations brought to one shape. */
function normalize(record: ContainerRecord): NormalizedRecord {
  if (isLegacy(record)) {
    return {
      state: record.status,
      networks: record.networks ?? [],
      startedDate: record.startedDate,
      exit: record,
    };
  }
  const status = (record as ModernRecord).status;
  return {
    state: status.state,
    networks: status.networks ?? [],
    startedDate: status.startedDate,
    exit: status,
  };
}

export function toContainerInfo(record: ContainerRecord): ContainerInfo {
  const config = record.configuration;
  const { state: rawState, networks, startedDate, exit } = normalize(record);
  const startedAt = parseCliDate(startedDate);
  const exitCode = exit.exitCode ?? exit.exitRecord?.exitCode ?? null;
  const state = mapState(rawState, startedAt !== null || exitCode !== null);
  return {
    // Containers have no name apart from their id: `--name` sets the id.
    id: config.id,
    name: config.id,
    image: config.image.reference,
    labels: config.labels,
    state,
    running: state === "running",
    exitCode: state === "running" ? null : exitCode,
    oomKilled: false,
    startedAt,
    finishedAt: parseCliDate(exit.exitRecord?.exitedAt),
    addresses: networks.map(toAddress),
    ports: (config.publishedPorts ?? []).flatMap(toPorts),
  };
}

export function toContainerSummary(info: ContainerInfo): ContainerSummary {
  return { id: info.id, name: info.name, image: info.image, labels: info.labels, state: info.state };
}

function toAddress(attachment: Attachment): ContainerAddress {
  const cidr = attachment.ipv4Address ?? attachment.address ?? "";
  return { network: attachment.network ?? "default", ipv4: cidr.split("/")[0] ?? "" };
}

/** One entry per port: the CLI records a range as a first port and a count. */
function toPorts(port: z.output<typeof publishedPortSchema>): PublishedPort[] {
  const count = Math.max(1, port.count ?? 1);
  const protocol = port.proto?.toLowerCase() === "udp" ? "udp" : "tcp";
  const hostIp = typeof port.hostAddress === "string" ? port.hostAddress : "0.0.0.0";
  return Array.from({ length: count }, (_, offset) => ({
    containerPort: port.containerPort + offset,
    protocol,
    hostIp,
    hostPort: port.hostPort + offset,
  }));
}
