import { parseArgs } from "node:util";
import { RUNTIME_KINDS } from "openshell/runtime";
import { MAX_ID } from "../prepare/account-ids.js";

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
      from: string;
      into: string | undefined;
      container: string | undefined;
      namespace: string | undefined;
      address: string | undefined;
      json: boolean;
      quiet: boolean;
    };

/** A command line the CLI did not understand; the message says what to fix. Exit status 2. */
export class UsageError extends Error {}

type Command = "inspect" | "prepare" | "load";

/** One line per command, the same in USAGE and in the errors that point at it. */
const SYNOPSIS: Record<Command, string> = {
  inspect: "openshell-image inspect IMAGE [--runtime R] [--json]",
  prepare:
    "openshell-image prepare IMAGE --tag NAME:TAG [--iptables] [--uid N] [--gid N] [--runtime R] [--json] [--quiet]",
  load: "openshell-image load IMAGE --from R (--into R | --container NAME [--runtime R] [--namespace NS] [--address SOCKET]) [--json] [--quiet]",
};

export const USAGE = `Usage:
  ${SYNOPSIS.inspect}
  ${SYNOPSIS.prepare}
  ${SYNOPSIS.load}

  inspect  reports what IMAGE has and lacks for OpenShell's sandbox supervisor
  prepare  builds NAME:TAG from IMAGE with only what is missing added, checked by running it
  load     moves IMAGE from one engine into another (--into), or into a gateway's cluster
           container's containerd (--container, through \`ctr images import\`; NS is k8s.io unless given)

R is a runtime: ${RUNTIME_KINDS.join(", ")}. Without --runtime: OPENSHELL_RUNTIME, else the first that
answers; DOCKER_HOST and CONTAINER_HOST say where an engine is. Progress goes to stderr, the result to
stdout (--json: one JSON document). Ctrl-C cancels and leaves nothing behind.

Exit status: 0 done (inspect: ready), 1 failed, 2 usage error, 3 inspect: not ready, 130 canceled.`;

/** Every flag, its kind, and the placeholder its errors show (`--tag NAME:TAG`). */
const FLAGS = {
  runtime: { type: "string", value: "R" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  tag: { type: "string", value: "NAME:TAG", short: "t" },
  iptables: { type: "boolean" },
  uid: { type: "string", value: "N" },
  gid: { type: "string", value: "N" },
  from: { type: "string", value: "R" },
  into: { type: "string", value: "R" },
  container: { type: "string", value: "NAME" },
  namespace: { type: "string", value: "NS" },
  address: { type: "string", value: "SOCKET" },
  help: { type: "boolean", short: "h" },
} as const;
type Flag = keyof typeof FLAGS;

const ALLOWED: Record<Command, readonly Flag[]> = {
  inspect: ["runtime", "json"],
  prepare: ["tag", "iptables", "uid", "gid", "runtime", "json", "quiet"],
  load: ["from", "into", "container", "runtime", "namespace", "address", "json", "quiet"],
};

const isFlag = (name: string): name is Flag => Object.hasOwn(FLAGS, name);
const spelled = (flag: Flag): string => {
  const spec = FLAGS[flag];
  return "value" in spec ? `--${flag} ${spec.value}` : `--${flag}`;
};

/** Parses argv (without node and the script). Throws UsageError with what to fix. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    return { command: "help" };
  }
  if (command === "--version" || command === "version") return { command: "version" };
  if (command !== "inspect" && command !== "prepare" && command !== "load") {
    throw new UsageError(
      `unknown command ${JSON.stringify(command)}: use inspect, prepare or load (openshell-image --help says how)`,
    );
  }
  const { values, positionals } = readFlags(command, rest);
  if (values.help !== undefined) return { command: "help" };
  const image = oneImage(command, positionals);
  for (const flag of ["runtime", "from", "into"] as const) checkRuntime(flag, values[flag]);
  const json = values.json !== undefined;
  const quiet = values.quiet !== undefined;

  if (command === "inspect") return { command, image, runtime: values.runtime, json };
  if (command === "prepare") {
    if (values.tag === undefined) {
      throw new UsageError(
        "prepare needs --tag NAME:TAG, the name the prepared image gets (such as my-agent:1-openshell)",
      );
    }
    return {
      command,
      image,
      tag: values.tag,
      runtime: values.runtime,
      iptables: values.iptables !== undefined,
      uid: accountId("--uid", values.uid),
      gid: accountId("--gid", values.gid),
      json,
      quiet,
    };
  }
  return { command, image, ...loadTarget(values), json, quiet };
}

type FlagValues = Partial<Record<Flag, string>>;

/** The flags (each once, each allowed for `command`, each with a value if it takes one) and the rest. */
function readFlags(command: Command, args: string[]): { values: FlagValues; positionals: string[] } {
  // Not strict: node's own messages for unknown options talk about positionals; these say what to do.
  const { tokens } = parseArgs({ args, strict: false, allowPositionals: true, tokens: true, options: FLAGS });
  // --help anywhere wins over any mistake beside it: whoever asks for help gets it.
  if (tokens.some((token) => token.kind === "option" && token.name === "help")) {
    return { values: { help: "" }, positionals: [] };
  }
  const values: FlagValues = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const { name, rawName, value, inlineValue } = token;
    if (!isFlag(name) || !ALLOWED[command].includes(name)) {
      throw new UsageError(
        `${command} does not take ${rawName}; it takes ${ALLOWED[command].map(spelled).join(", ")}`,
      );
    }
    if (values[name] !== undefined) throw new UsageError(`${rawName} is given twice: give it once`);
    if (FLAGS[name].type === "boolean") {
      if (value !== undefined) {
        throw new UsageError(`${rawName} takes no value: write ${rawName} alone, not ${rawName}=${value}`);
      }
      values[name] = "";
      continue;
    }
    if (value === undefined || value === "") {
      throw new UsageError(`${rawName} needs a value, as in ${spelled(name)}`);
    }
    if (!inlineValue && value.startsWith("-")) {
      throw new UsageError(
        `${rawName} needs a value, as in ${spelled(name)}, but is followed by ${JSON.stringify(value)}; ` +
          `write ${rawName}=${value} if that is the value`,
      );
    }
    values[name] = value;
  }
  return { values, positionals };
}

function oneImage(command: Command, positionals: string[]): string {
  const [image] = positionals;
  if (image === undefined) {
    throw new UsageError(`${command} needs an IMAGE (name:tag or image id): ${SYNOPSIS[command]}`);
  }
  if (positionals.length > 1) {
    const hint = {
      inspect: "inspect one image at a time",
      prepare: "the name to build goes in --tag NAME:TAG",
      load: "load one image at a time; where to goes in --into or --container",
    }[command];
    throw new UsageError(
      `${command} takes one IMAGE, got ${positionals.length} (${positionals.map((p) => JSON.stringify(p)).join(", ")}): ${hint}`,
    );
  }
  return image;
}

function checkRuntime(flag: "runtime" | "from" | "into", value: string | undefined): void {
  if (value === undefined || (RUNTIME_KINDS as readonly string[]).includes(value)) return;
  throw new UsageError(
    `--${flag} ${JSON.stringify(value)} is not a runtime: use ${RUNTIME_KINDS.join(", ")}`,
  );
}

/** --uid and --gid: the range prepareImage accepts, said in the flag's own name. */
function accountId(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const id = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(id >= 1 && id <= MAX_ID)) {
    const zero = id === 0 ? " (0 is root's, which OpenShell refuses)" : "";
    throw new UsageError(
      `${flag} takes a whole number from 1 to ${MAX_ID}, not ${JSON.stringify(value)}${zero}; ` +
        "leave it out to use the first free id from 1000",
    );
  }
  return id;
}

function loadTarget(values: FlagValues) {
  const { from, into, container, runtime, namespace, address } = values;
  if (from === undefined) {
    throw new UsageError(`load needs --from R, the runtime that holds IMAGE (${RUNTIME_KINDS.join(", ")})`);
  }
  if (into === undefined && container === undefined) {
    throw new UsageError(
      "load needs where to: --into R (another engine) or --container NAME (a gateway's cluster container)",
    );
  }
  if (into !== undefined && container !== undefined) {
    throw new UsageError(
      "load takes --into R or --container NAME, not both: --into loads into another engine, " +
        "--container into the containerd inside that container",
    );
  }
  if (into !== undefined) {
    const stray = (["runtime", "namespace", "address"] as const).filter((flag) => values[flag] !== undefined);
    if (stray.length > 0) {
      throw new UsageError(
        `${stray.map((flag) => `--${flag}`).join(" and ")} ${stray.length === 1 ? "goes" : "go"} with ` +
          `--container NAME, not --into R: leave ${stray.length === 1 ? "it" : "them"} out, ` +
          "or load into a container's containerd",
      );
    }
    if (into === from) {
      throw new UsageError(
        `load --from ${from} --into ${into} would move nothing: name another engine in --into`,
      );
    }
  }
  return { runtime, from, into, container, namespace, address };
}
