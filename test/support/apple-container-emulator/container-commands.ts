import { randomUUID } from "node:crypto";
import type Docker from "dockerode";
import { type CommandShape, flag, lastValue, option, type ParsedArgs, parseArgs } from "./argv.js";
import { containerRecord, networkGateways } from "./container-records.js";
import { createBody } from "./create-body.js";
import {
  CliFailure,
  containerizationError,
  dockerMessage,
  dockerStatus,
  type EmulatorContext,
  type Handler,
  type Invocation,
} from "./emulator-context.js";
import { swiftJson } from "./swift-json.js";

/*
 * `create`, `run -d`, `start`, `stop`, `kill`, `delete`, `list` and `inspect`, carried out on Docker
 * and answered as the CLI does (stdout, stderr texts from fixtures or apple/container's source).
 */

const CREATE_OPTIONS = [
  option("name", "--name"),
  option("env", "-e", "--env"),
  option("label", "-l", "--label"),
  option("publish", "-p", "--publish"),
  option("mount", "--mount"),
  option("volume", "-v", "--volume"),
  option("cpus", "-c", "--cpus"),
  option("memory", "-m", "--memory"),
  option("entrypoint", "--entrypoint"),
  option("user", "-u", "--user"),
  option("workdir", "-w", "--workdir", "--cwd"),
  option("network", "--network"),
  option("capAdd", "--cap-add"),
  option("capDrop", "--cap-drop"),
  flag("readOnly", "--read-only"),
  flag("tty", "-t", "--tty"),
  flag("interactive", "-i", "--interactive"),
];

const notFound = (id: string) => new CliFailure(`Error: notFound: "container with ID ${id} not found"`);

/** Docker's inspect of an Apple container id; CliFailure (the CLI's not-found text) when it has none. */
export async function inspectContainer(
  context: EmulatorContext,
  id: string,
): Promise<Docker.ContainerInspectInfo> {
  try {
    return await context.docker.getContainer(context.dockerName(id)).inspect();
  } catch (error) {
    if (dockerStatus(error) === 404) throw notFound(id);
    throw error;
  }
}

/** Every container of this emulator instance, inspected. */
async function allContainers(context: EmulatorContext): Promise<Docker.ContainerInspectInfo[]> {
  const listed = await context.docker.listContainers({
    all: true,
    filters: { label: [context.instanceFilter] },
  });
  const inspected = await Promise.all(
    listed.map((c) =>
      context.docker
        .getContainer(c.Id)
        .inspect()
        .catch(() => undefined),
    ),
  );
  return inspected
    .filter((info): info is Docker.ContainerInspectInfo => info !== undefined)
    .sort((a, b) => a.Created.localeCompare(b.Created));
}

/** A Docker failure to create, in the CLI's words. */
function createFailure(error: unknown, id: string, image: string): CliFailure {
  const status = dockerStatus(error);
  const message = dockerMessage(error);
  // The API server's words (ContainersService.swift); `run` checks first and words it as the fixture does.
  if (status === 409) return containerizationError("exists", `container already exists: ${id}`);
  if (status === 404 && /network/i.test(message)) {
    const network = /network (\S+) not found/i.exec(message)?.[1] ?? "";
    return new CliFailure(`Error: notFound: "network ${network.replace(/^ace-[0-9a-f]{8}-/, "")} not found"`);
  }
  if (status === 404) return new CliFailure(`Error: notFound: "image not found: ${image}"`);
  return new CliFailure(`Error: internalError: "${message}"`);
}

async function create(
  context: EmulatorContext,
  invocation: Invocation,
  shape: CommandShape,
): Promise<{ id: string; parsed: ParsedArgs }> {
  const parsed = parseArgs(invocation.args.slice(1), shape);
  const id = lastValue(parsed, "name") ?? randomUUID().toLowerCase();
  const exists = await inspectContainer(context, id).then(
    () => true,
    () => false,
  );
  if (invocation.args[0] === "run" && exists) {
    // ContainerRun.swift checks before asking the API server, in its own words (the fixture's).
    throw containerizationError("exists", `container with id ${id} already exists`);
  }
  const body = await createBody(context, parsed, id);
  try {
    await context.docker.createContainer(body);
  } catch (error) {
    throw createFailure(error, id, parsed.positionals[0] as string);
  }
  return { id, parsed };
}

/** A start failure as the CLI words it: a missing executable is vmexec's "failed to find target executable". */
function startFailure(error: unknown): CliFailure {
  const message = dockerMessage(error);
  const missing =
    /exec: "([^"]+)": (?:stat [^:]+: )?no such file or directory|exec: "([^"]+)": executable file not found/.exec(
      message,
    );
  if (missing !== null) {
    const path = missing[1] ?? missing[2];
    return new CliFailure(
      `Error: internalError: "vmexec error: internalError: \\"failed to find target executable ${path}\\""`,
    );
  }
  return new CliFailure(`Error: internalError: "failed to start container: ${message}"`);
}

/** Starts a container; its log starts afresh (Apple's runtime truncates the log at every start). */
async function startContainer(context: EmulatorContext, id: string): Promise<void> {
  const info = await inspectContainer(context, id);
  if (info.State.Running) return;
  const startedAt = Date.now();
  try {
    await context.docker.getContainer(info.Id).start();
  } catch (error) {
    if (dockerStatus(error) === 304) return;
    throw startFailure(error);
  }
  context.startedAt.set(id, startedAt);
}

const createCommand: Handler = async (context, invocation) => {
  const { id } = await create(context, invocation, {
    usage: "container create [<options>] <image> [<arguments> ...]",
    options: CREATE_OPTIONS,
    leading: 1,
    minPositionals: 1,
  });
  invocation.stdout.write(`${id}\n`);
  return 0;
};

const runCommand: Handler = async (context, invocation) => {
  const { id, parsed } = await create(context, invocation, {
    usage: "container run [<options>] <image> [<arguments> ...]",
    options: [...CREATE_OPTIONS, flag("detach", "-d", "--detach"), flag("remove", "--rm")],
    leading: 1,
    minPositionals: 1,
  });
  if (!parsed.flags.has("detach") || parsed.flags.has("remove")) {
    await context.docker.getContainer(context.dockerName(id)).remove({ force: true, v: true });
    throw new CliFailure("Error: emulator: `container run` is emulated with --detach only, without --rm");
  }
  await startContainer(context, id);
  invocation.stdout.write(`${id}\n`);
  return 0;
};

const startCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container start [<options>] <container-id>",
    options: [],
    minPositionals: 1,
    maxPositionals: 1,
  });
  const id = parsed.positionals[0] as string;
  await startContainer(context, id);
  invocation.stdout.write(`${id}\n`);
  return 0;
};

/** `stop`: an unknown id is `Error: No such container: ID` (ContainerStop.swift), the others still stop. */
const stopCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container stop [<options>] [<container-ids> ...]",
    options: [option("time", "-t", "--time"), option("signal", "-s", "--signal")],
    minPositionals: 1,
  });
  const seconds = Number(lastValue(parsed, "time") ?? "5");
  const signal = lastValue(parsed, "signal");
  const errors: string[] = [];
  for (const id of parsed.positionals) {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await inspectContainer(context, id);
    } catch {
      errors.push(`Error: No such container: ${id}`);
      continue;
    }
    try {
      if (signal !== undefined && info.State.Running)
        await context.docker.getContainer(info.Id).kill({ signal });
      await context.docker.getContainer(info.Id).stop({ t: seconds });
    } catch (error) {
      if (dockerStatus(error) !== 304 && dockerStatus(error) !== 409)
        errors.push(`Error from APIServer: ${dockerMessage(error)}`);
    }
    invocation.stdout.write(`${id}\n`);
  }
  if (errors.length > 0) throw new CliFailure(errors.join("\n"));
  return 0;
};

const killCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container kill [<options>] [<container-ids> ...]",
    options: [option("signal", "-s", "--signal")],
    minPositionals: 1,
  });
  const signal = lastValue(parsed, "signal") ?? "KILL";
  for (const id of parsed.positionals) {
    const info = await inspectContainer(context, id);
    try {
      await context.docker.getContainer(info.Id).kill({ signal: signal.replace(/^SIG/i, "") });
    } catch (error) {
      if (dockerStatus(error) === 409)
        throw new CliFailure(`Error: invalidState: "container ${id} is not running"`);
      throw error;
    }
    invocation.stdout.write(`${id}\n`);
  }
  return 0;
};

const deleteCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container delete [<options>] [<container-ids> ...]",
    options: [flag("force", "-f", "--force"), flag("volumes", "-v", "--volumes")],
    minPositionals: 1,
  });
  for (const id of parsed.positionals) {
    const info = await inspectContainer(context, id);
    if (info.State.Running && !parsed.flags.has("force")) {
      throw containerizationError("invalidState", `container ${id} is running and can not be deleted`);
    }
    try {
      await context.docker.getContainer(info.Id).remove({ force: true, v: true });
    } catch (error) {
      if (dockerStatus(error) === 404) throw notFound(id);
      throw error;
    }
    context.startedAt.delete(id);
    invocation.stdout.write(`${id}\n`);
  }
  return 0;
};

/** Records of the given containers in the version's JSON; `inspect` is pretty-printed from 1.0.0 on. */
async function records(context: EmulatorContext, infos: Docker.ContainerInspectInfo[]) {
  const gateways = await networkGateways(context.docker);
  return infos.map((info) => containerRecord(context, info, gateways));
}

const listCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container list [<options>]",
    options: [flag("all", "-a", "--all"), option("format", "--format"), flag("quiet", "-q", "--quiet")],
    minPositionals: 0,
    maxPositionals: 0,
  });
  const infos = (await allContainers(context)).filter(
    (info) => parsed.flags.has("all") || info.State.Running,
  );
  const json = await records(context, infos);
  const format = lastValue(parsed, "format") ?? "table";
  if (parsed.flags.has("quiet")) {
    for (const record of json) invocation.stdout.write(`${(record.configuration as { id: string }).id}\n`);
  } else if (format === "json") {
    invocation.stdout.write(`${swiftJson(json, { pretty: false, sortKeys: context.facts.modern })}\n`);
  } else {
    throw new CliFailure(`Error: emulator: list --format ${format} is not emulated (only json)`);
  }
  return 0;
};

const inspectCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container inspect <container-ids> ...",
    options: [],
    minPositionals: 1,
  });
  const infos = [];
  for (const id of parsed.positionals) infos.push(await inspectContainer(context, id));
  const json = await records(context, infos);
  const modern = context.facts.modern;
  invocation.stdout.write(`${swiftJson(json, { pretty: modern, sortKeys: modern })}\n`);
  return 0;
};

export const containerCommands: Record<string, Handler> = {
  create: createCommand,
  run: runCommand,
  start: startCommand,
  stop: stopCommand,
  kill: killCommand,
  delete: deleteCommand,
  rm: deleteCommand,
  list: listCommand,
  ls: listCommand,
  inspect: inspectCommand,
};
