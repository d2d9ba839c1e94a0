import type Docker from "dockerode";
import { lastValue, type ParsedArgs } from "./argv.js";
import {
  CliFailure,
  DEFAULT_NETWORK,
  type EmulatorContext,
  NETWORKS_LABEL,
  normalizeReference,
} from "./emulator-context.js";

/** `-m` sizes: K/M/G/T/P suffixes in powers of 1024, MiB when there is none. */
function memoryBytes(text: string): number {
  const match = /^(\d+)([KMGTP]?)B?$/i.exec(text.trim());
  if (match === null) throw new CliFailure(`Error: invalidArgument: "invalid memory size ${text}"`);
  const power = "KMGTP".indexOf((match[2] ?? "").toUpperCase()) + 1;
  return Number(match[1]) * 1024 ** (power === 0 ? 2 : power);
}

/** `-l k=v`: the CLI splits at every `=`, so a key or value holding one is refused. */
function labels(values: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const text of values) {
    const parts = text.split("=");
    if (parts.length > 2) throw new CliFailure(`Error: invalidArgument: "invalid label value: ${text}"`);
    result[parts[0] as string] = parts[1] ?? "";
  }
  return result;
}

interface PortBinding {
  key: string;
  hostIp: string;
  hostPort: string;
}

/** `-p [HOST_IP:]HOST_PORT:CONTAINER_PORT[/PROTO]`, an IPv6 host address in brackets. */
function port(text: string): PortBinding {
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/i.exec(text);
  if (match === null) throw new CliFailure(`Error: invalidArgument: "invalid publish value: ${text}"`);
  const host = (match[1] ?? "0.0.0.0").replace(/^\[|\]$/g, "");
  return {
    key: `${match[3]}/${(match[4] ?? "tcp").toLowerCase()}`,
    hostIp: host,
    hostPort: match[2] as string,
  };
}

/** The fields of one `--mount` value. */
function mountFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of text.split(",")) {
    const equals = part.indexOf("=");
    fields.set(equals === -1 ? part : part.slice(0, equals), equals === -1 ? "" : part.slice(equals + 1));
  }
  return fields;
}

/**
 * `--mount type=tmpfs,target=T[,size=N][,mode=OCTAL]` as Docker's HostConfig.Tmpfs entry. The Mac's
 * guest mounts a tmpfs executable and with the mode asked for; the runc of this machine (before
 * 1.1.8) gives a tmpfs over a directory the image has that directory's mode instead, so the numeric
 * user the container runs as owns it here, which lets that user write to it as the mode would.
 */
function tmpfsOption(fields: Map<string, string>, user: string | undefined): [string, string] {
  const options = ["rw", "exec"];
  const size = fields.get("size");
  const mode = fields.get("mode");
  if (size !== undefined) options.push(`size=${memoryBytes(size)}`);
  if (mode !== undefined) options.push(`mode=${mode}`);
  const ids = /^(\d+)(?::(\d+))?$/.exec(user ?? "");
  if (ids?.[1] !== undefined) options.push(`uid=${ids[1]}`, `gid=${ids[2] ?? ids[1]}`);
  return [fields.get("target") ?? fields.get("destination") ?? fields.get("dst") ?? "", options.join(",")];
}

/** `--mount type=bind,source=S,target=T[,readonly]` (tmpfs mounts go through {@link tmpfsOption}). */
function mountOption(text: string): Docker.MountSettings {
  const fields = mountFields(text);
  const source = fields.get("source") ?? fields.get("src");
  const target = fields.get("target") ?? fields.get("destination") ?? fields.get("dst");
  const type = fields.get("type");
  if (type !== "bind" || source === undefined || target === undefined) {
    throw new CliFailure(`Error: invalidArgument: "invalid mount: ${text}"`);
  }
  return {
    Type: "bind",
    Source: source,
    Target: target,
    ReadOnly: fields.has("readonly") || fields.has("ro"),
  };
}

/** `-v SOURCE:TARGET[:ro]`: an absolute source is a host folder, anything else a named volume. */
async function volumeMount(context: EmulatorContext, text: string): Promise<Docker.MountSettings> {
  const [source, target, mode] = text.split(":");
  if (source === undefined || target === undefined || source === "") {
    throw new CliFailure(`Error: invalidArgument: "invalid volume: ${text}"`);
  }
  const readOnly = mode === "ro";
  if (source.startsWith("/")) return { Type: "bind", Source: source, Target: target, ReadOnly: readOnly };
  // Docker would make a missing volume on the fly, without the emulator's labels; refuse instead.
  try {
    await context.docker.getVolume(context.dockerName(source)).inspect();
  } catch {
    throw new CliFailure(`Error: notFound: "volume ${source} not found"`);
  }
  return { Type: "volume", Source: context.dockerName(source), Target: target, ReadOnly: readOnly };
}

/** Docker's create body for a parsed `container create IMAGE ARGS...`, under the Apple id `id`. */
export async function createBody(
  context: EmulatorContext,
  parsed: ParsedArgs,
  id: string,
): Promise<Docker.ContainerCreateOptions> {
  const image = normalizeReference(parsed.positionals[0] as string);
  const networks = parsed.values.get("network") ?? [DEFAULT_NETWORK];
  if (networks.length > 1) {
    // Docker attaches one network at create; the driver never asks for more.
    throw new CliFailure("Error: emulator: more than one --network is not emulated");
  }
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const exposed: Record<string, object> = {};
  for (const binding of (parsed.values.get("publish") ?? []).map(port)) {
    bindings[binding.key] = [
      ...(bindings[binding.key] ?? []),
      { HostIp: binding.hostIp, HostPort: binding.hostPort },
    ];
    exposed[binding.key] = {};
  }
  const user = lastValue(parsed, "user");
  const mountTexts = parsed.values.get("mount") ?? [];
  const isTmpfs = (text: string) => mountFields(text).get("type") === "tmpfs";
  const mounts = mountTexts.filter((text) => !isTmpfs(text)).map(mountOption);
  const tmpfs = Object.fromEntries(
    mountTexts.filter(isTmpfs).map((text) => tmpfsOption(mountFields(text), user)),
  );
  for (const text of parsed.values.get("volume") ?? []) mounts.push(await volumeMount(context, text));
  const cpus = lastValue(parsed, "cpus");
  const memory = lastValue(parsed, "memory");
  const entrypoint = lastValue(parsed, "entrypoint");
  const workdir = lastValue(parsed, "workdir");
  const upper = (caps: readonly string[]) => caps.map((cap) => cap.toUpperCase());
  return {
    name: context.dockerName(id),
    Image: image,
    Hostname: id.slice(0, 63),
    ...(parsed.rest.length > 0 ? { Cmd: parsed.rest } : {}),
    ...(entrypoint === undefined ? {} : { Entrypoint: [entrypoint] }),
    Env: parsed.values.get("env") ?? [],
    Labels: {
      ...labels(parsed.values.get("label") ?? []),
      ...context.ownLabels(id),
      [NETWORKS_LABEL]: networks.join(","),
    },
    ...(user === undefined ? {} : { User: user }),
    ...(workdir === undefined ? {} : { WorkingDir: workdir }),
    Tty: parsed.flags.has("tty"),
    OpenStdin: parsed.flags.has("interactive"),
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      Mounts: mounts,
      ...(Object.keys(tmpfs).length === 0 ? {} : { Tmpfs: tmpfs }),
      NetworkMode: context.dockerNetwork(networks[0] as string),
      ...(cpus === undefined ? {} : { NanoCpus: Math.round(Number(cpus) * 1e9) }),
      ...(memory === undefined ? {} : { Memory: memoryBytes(memory) }),
      CapAdd: upper(parsed.values.get("capAdd") ?? []),
      CapDrop: upper(parsed.values.get("capDrop") ?? []),
      ReadonlyRootfs: parsed.flags.has("readOnly"),
    },
  };
}
