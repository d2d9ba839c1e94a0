import { parseArgs } from "node:util";

/** A command line the CLI understood. */
export type CliCommand =
  | { command: "help" }
  | { command: "version" }
  | { command: "inspect"; image: string; runtime: string | undefined; json: boolean }
  | {
      command: "prepare";
      image: string;
      tag: string;
      runtime: string | undefined;
      iptables: boolean;
      uid: number | undefined;
      gid: number | undefined;
      json: boolean;
      quiet: boolean;
    }
  | {
      command: "load";
      image: string;
      runtime: string | undefined;
      from: string | undefined;
      into: string | undefined;
      container: string | undefined;
      namespace: string | undefined;
      address: string | undefined;
      json: boolean;
      quiet: boolean;
    };

/** A command line the CLI did not understand; the message says what to fix. Exit status 2. */
export class UsageError extends Error {}

export const USAGE = `Usage:
  openshell-image inspect IMAGE [--runtime docker|podman|apple-container] [--json]
  openshell-image prepare IMAGE --tag NAME:TAG [--iptables] [--uid N] [--gid N] [--runtime R] [--json] [--quiet]
  openshell-image load IMAGE --from RUNTIME (--into RUNTIME | --container NAME [--runtime R]
                      [--namespace k8s.io] [--address SOCKET]) [--json] [--quiet]

  inspect  reports what IMAGE has and lacks for OpenShell's sandbox supervisor (exit 0 ready, 3 not ready)
  prepare  builds NAME:TAG from IMAGE with only what is missing added, checked by running it
  load     moves IMAGE from one engine into another (--into), or into a gateway's cluster
           container's containerd (--container, through \`ctr images import\`)

The runtime is the one named, else OPENSHELL_RUNTIME, else the first that answers (docker, podman,
apple-container); DOCKER_HOST and CONTAINER_HOST say where an engine is. Progress goes to stderr,
the result to stdout (--json: one JSON document). Ctrl-C cancels and leaves nothing behind.`;

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`${flag} takes a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** Parses argv (without node and the script). */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    return { command: "help" };
  }
  if (command === "--version" || command === "version") return { command: "version" };
  if (command !== "inspect" && command !== "prepare" && command !== "load") {
    throw new UsageError(`unknown command ${JSON.stringify(command)}: use inspect, prepare or load`);
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  if (positionals.length !== 1) {
    throw new UsageError(`${command} takes exactly one IMAGE, got ${positionals.length}`);
  }
  const image = positionals[0] as string;
  const allowed: Record<typeof command, readonly string[]> = {
    inspect: ["runtime", "json"],
    prepare: ["runtime", "json", "quiet", "tag", "iptables", "uid", "gid"],
    load: ["runtime", "json", "quiet", "from", "into", "container", "namespace", "address"],
  };
  for (const flag of Object.keys(values)) {
    if (flag !== "help" && !allowed[command].includes(flag)) {
      throw new UsageError(`${command} does not take --${flag}`);
    }
  }
  if (command === "inspect") return { command, image, runtime: values.runtime, json: values.json ?? false };
  if (command === "prepare") {
    if (values.tag === undefined) throw new UsageError("prepare needs --tag NAME:TAG for the prepared image");
    return {
      command,
      image,
      tag: values.tag,
      runtime: values.runtime,
      iptables: values.iptables ?? false,
      uid: integer(values.uid, "--uid"),
      gid: integer(values.gid, "--gid"),
      json: values.json ?? false,
      quiet: values.quiet ?? false,
    };
  }
  if ((values.into === undefined) === (values.container === undefined)) {
    throw new UsageError("load needs exactly one of --into RUNTIME or --container NAME");
  }
  if (values.into !== undefined && (values.namespace !== undefined || values.address !== undefined)) {
    throw new UsageError("--namespace and --address go with --container, not --into");
  }
  return {
    command,
    image,
    runtime: values.runtime,
    from: values.from,
    into: values.into,
    container: values.container,
    namespace: values.namespace,
    address: values.address,
    json: values.json ?? false,
    quiet: values.quiet ?? false,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      runtime: { type: "string" },
      json: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      tag: { type: "string", short: "t" },
      iptables: { type: "boolean" },
      uid: { type: "string" },
      gid: { type: "string" },
      from: { type: "string" },
      into: { type: "string" },
      container: { type: "string" },
      namespace: { type: "string" },
      address: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
