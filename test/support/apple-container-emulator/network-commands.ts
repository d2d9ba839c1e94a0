import type Docker from "dockerode";
import { flag, lastValue, option, parseArgs } from "./argv.js";
import {
  CliFailure,
  callerLabels,
  containerizationError,
  DEFAULT_NETWORK,
  DOCKER_DEFAULT_NETWORK,
  dockerMessage,
  dockerStatus,
  type EmulatorContext,
  type Handler,
  NAME_LABEL,
  swiftList,
} from "./emulator-context.js";
import { swiftDate, swiftJson } from "./swift-json.js";

/*
 * `container network create|list|inspect|delete` and `container volume create|list|delete` over
 * Docker networks and volumes. `--internal` makes a Docker `internal: true` network, listed as mode
 * `hostOnly` (like Apple's, it reaches this host at its gateway but nothing beyond). Apple's built-in
 * `default` network is Docker's `bridge`. Shapes: network-list.json (1.x), network-list-0.12.json,
 * network-inspect-hostonly-1.1.txt, volume-list.json, volume-list-pre-1.0.json.
 */

const BUILTIN_LABELS = { "com.apple.container.resource.role": "builtin" };
const PLUGIN = "container-network-vmnet";

function networkRecord(
  context: EmulatorContext,
  network: Docker.NetworkInspectInfo,
): Record<string, unknown> {
  const builtin = network.Name === DOCKER_DEFAULT_NETWORK;
  const name = builtin ? DEFAULT_NETWORK : (network.Labels?.[NAME_LABEL] ?? network.Name);
  const ipam = network.IPAM?.Config?.[0];
  const status = { ipv4Gateway: ipam?.Gateway ?? "", ipv4Subnet: ipam?.Subnet ?? "" };
  const labels = builtin ? BUILTIN_LABELS : callerLabels(network.Labels);
  const mode = network.Internal ? "hostOnly" : "nat";
  const created = swiftDate(new Date(network.Created), context.facts.modern);
  if (context.facts.modern) {
    return {
      configuration: { creationDate: created, labels, mode, name, options: {}, plugin: PLUGIN },
      id: name,
      status,
    };
  }
  return {
    config: { creationDate: created, id: name, labels, mode, pluginInfo: { plugin: PLUGIN } },
    id: name,
    state: "running",
    status,
  };
}

async function networks(context: EmulatorContext): Promise<Docker.NetworkInspectInfo[]> {
  const own = await context.docker.listNetworks({ filters: { label: [context.instanceFilter] } });
  const builtin = await context.docker.getNetwork(DOCKER_DEFAULT_NETWORK).inspect();
  // listNetworks leaves IPAM out on some engines: inspect each.
  const inspected = await Promise.all(
    own.map((n) =>
      context.docker
        .getNetwork(n.Id)
        .inspect()
        .catch(() => undefined),
    ),
  );
  const found = inspected.filter((n): n is Docker.NetworkInspectInfo => n !== undefined);
  return [builtin, ...found.sort((a, b) => a.Created.localeCompare(b.Created))];
}

const labelValues = (values: readonly string[]) =>
  Object.fromEntries(values.map((text) => [text.split("=")[0], text.split("=").slice(1).join("=")]));

const networkCreate: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(2), {
    usage: "container network create [<options>] <name>",
    options: [flag("internal", "--internal"), option("label", "--label")],
    minPositionals: 1,
    maxPositionals: 1,
  });
  const name = parsed.positionals[0] as string;
  const existing = await context.docker.listNetworks({
    filters: { label: [context.instanceFilter, `${NAME_LABEL}=${name}`] },
  });
  if (name === DEFAULT_NETWORK || existing.length > 0) {
    throw containerizationError("exists", `network ${name} already exists`);
  }
  await context.docker.createNetwork({
    Name: context.dockerName(name),
    Driver: "bridge",
    Internal: parsed.flags.has("internal"),
    Labels: { ...labelValues(parsed.values.get("label") ?? []), ...context.ownLabels(name) },
  });
  invocation.stdout.write(`${name}\n`);
  return 0;
};

async function findNetwork(context: EmulatorContext, name: string): Promise<Docker.NetworkInspectInfo> {
  const all = await networks(context);
  const found = all.find((n) => (networkRecord(context, n).id as string) === name);
  if (found === undefined) throw containerizationError("notFound", `network not found: ${name}`);
  return found;
}

const networkList: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(2), {
    usage: "container network list [<options>]",
    options: [option("format", "--format"), flag("quiet", "-q", "--quiet")],
    minPositionals: 0,
    maxPositionals: 0,
  });
  if (lastValue(parsed, "format") !== "json")
    throw new CliFailure("Error: emulator: only --format json is emulated");
  const records = (await networks(context)).map((n) => networkRecord(context, n));
  invocation.stdout.write(`${swiftJson(records, { pretty: false, sortKeys: context.facts.modern })}\n`);
  return 0;
};

/** `network inspect` always prints JSON, pretty from 1.0.0 on. */
const networkInspect: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(2), {
    usage: "container network inspect <networks> ...",
    options: [],
    minPositionals: 1,
  });
  const records = [];
  for (const name of parsed.positionals)
    records.push(networkRecord(context, await findNetwork(context, name)));
  const modern = context.facts.modern;
  invocation.stdout.write(`${swiftJson(records, { pretty: modern, sortKeys: modern })}\n`);
  return 0;
};

const networkDelete: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(2), {
    usage: "container network delete [<options>] [<network-names> ...]",
    options: [],
    minPositionals: 1,
  });
  // NetworkDelete.swift@1.1.0: every name is looked up first; then each is deleted, and the ones
  // that could not be (containers still attached) are named together at the end.
  const all = await networks(context);
  const byName = new Map(all.map((n) => [networkRecord(context, n).id as string, n]));
  if (parsed.positionals.includes(DEFAULT_NETWORK)) {
    throw containerizationError("invalidArgument", `cannot delete a builtin network: ${DEFAULT_NETWORK}`);
  }
  const missing = parsed.positionals.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw containerizationError("notFound", `failed to delete one or more networks: ${swiftList(missing)}`);
  }
  const failed: string[] = [];
  for (const name of new Set(parsed.positionals)) {
    try {
      await context.docker.getNetwork((byName.get(name) as Docker.NetworkInspectInfo).Id).remove();
    } catch (error) {
      if (dockerStatus(error) === 403 || /active endpoints/.test(dockerMessage(error))) {
        failed.push(name);
        continue;
      }
      throw error;
    }
    invocation.stdout.write(`${name}\n`);
  }
  if (failed.length > 0) {
    throw containerizationError(
      "internalError",
      `delete failed for one or more networks: ${swiftList(failed)}`,
    );
  }
  return 0;
};

function volumeRecord(context: EmulatorContext, volume: Docker.VolumeInspectInfo): Record<string, unknown> {
  const name = volume.Labels?.[NAME_LABEL] ?? volume.Name;
  const created = new Date((volume as { CreatedAt?: string }).CreatedAt ?? Date.now());
  const labels = callerLabels(volume.Labels);
  const source = volume.Mountpoint;
  if (context.facts.modern) {
    return {
      configuration: {
        creationDate: swiftDate(created, true),
        driver: "local",
        format: "ext4",
        labels,
        name,
        options: {},
        sizeInBytes: 549755813888,
        source,
      },
      id: name,
    };
  }
  return {
    createdAt: swiftDate(created, false),
    driver: "local",
    format: "ext4",
    labels,
    name,
    options: {},
    source,
  };
}

const volumeCommands: Handler = async (context, invocation) => {
  const verb = invocation.args[1];
  const rest = invocation.args.slice(2);
  if (verb === "create") {
    const parsed = parseArgs(rest, {
      usage: "container volume create [<options>] <name>",
      options: [option("label", "--label"), option("opt", "--opt"), option("size", "-s")],
      minPositionals: 1,
      maxPositionals: 1,
    });
    const name = parsed.positionals[0] as string;
    const exists = await context.docker
      .getVolume(context.dockerName(name))
      .inspect()
      .then(
        () => true,
        () => false,
      );
    if (exists) throw new CliFailure(`Error: exists: "volume ${name} already exists"`);
    await context.docker.createVolume({
      Name: context.dockerName(name),
      Labels: { ...labelValues(parsed.values.get("label") ?? []), ...context.ownLabels(name) },
    });
    invocation.stdout.write(`${name}\n`);
    return 0;
  }
  if (verb === "list" || verb === "ls") {
    const parsed = parseArgs(rest, {
      usage: "container volume list [<options>]",
      options: [option("format", "--format"), flag("quiet", "-q", "--quiet")],
      minPositionals: 0,
      maxPositionals: 0,
    });
    if (lastValue(parsed, "format") !== "json")
      throw new CliFailure("Error: emulator: only --format json is emulated");
    const { Volumes } = await context.docker.listVolumes({ filters: { label: [context.instanceFilter] } });
    const records = (Volumes ?? []).map((v) => volumeRecord(context, v));
    invocation.stdout.write(`${swiftJson(records, { pretty: false, sortKeys: context.facts.modern })}\n`);
    return 0;
  }
  if (verb === "delete" || verb === "rm") {
    const parsed = parseArgs(rest, {
      usage: "container volume delete <names> ...",
      options: [],
      minPositionals: 1,
    });
    for (const name of parsed.positionals) {
      try {
        await context.docker.getVolume(context.dockerName(name)).remove();
      } catch (error) {
        if (dockerStatus(error) === 404) throw new CliFailure(`Error: notFound: "volume ${name} not found"`);
        if (dockerStatus(error) === 409)
          throw new CliFailure(`Error: invalidState: "volume ${name} is in use"`);
        throw error;
      }
      invocation.stdout.write(`${name}\n`);
    }
    return 0;
  }
  throw new CliFailure(`Error: Unknown subcommand 'volume ${verb ?? ""}'`, 64);
};

const NETWORK_VERBS: Record<string, Handler> = {
  create: networkCreate,
  list: networkList,
  ls: networkList,
  inspect: networkInspect,
  delete: networkDelete,
  rm: networkDelete,
};

const networkCommands: Handler = async (context, invocation) => {
  const handler = NETWORK_VERBS[invocation.args[1] ?? ""];
  if (handler === undefined)
    throw new CliFailure(`Error: Unknown subcommand 'network ${invocation.args[1] ?? ""}'`, 64);
  return handler(context, invocation);
};

export const resourceCommands: Record<string, Handler> = {
  network: networkCommands,
  volume: volumeCommands,
};
