/**
 * Parses a subcommand's argv the way Swift ArgumentParser does for the options the emulator knows:
 * `-x VALUE`, `--long VALUE`, `--long=VALUE`, flags without values, positionals, and (for `create`,
 * `run` and `exec`) everything after the last leading positional taken verbatim as the process's
 * arguments. Anything else is a UsageError, so a driver that starts passing an option the emulator
 * does not implement fails loudly instead of being half-served.
 */

/** One option: its spellings, and whether it takes a value. */
export interface OptionSpec {
  key: string;
  names: readonly string[];
  takesValue: boolean;
}

export interface CommandShape {
  /** The command as its usage line names it (`container create`). */
  usage: string;
  options: readonly OptionSpec[];
  /** Positionals before the passthrough rest (1 for `create IMAGE ARGS...`); all when absent. */
  leading?: number;
  /** Fewest positionals (leading ones included). */
  minPositionals: number;
  /** Most positionals when there is no passthrough rest. */
  maxPositionals?: number;
}

export interface ParsedArgs {
  /** Values of options that take one, in order (repeatable options keep every value). */
  values: Map<string, string[]>;
  /** Options without a value that were given. */
  flags: Set<string>;
  positionals: string[];
  /** The process's arguments after the leading positionals. */
  rest: string[];
}

/** A command line ArgumentParser would refuse: the CLI prints the message and a usage line, exit 64. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }

  /** What ArgumentParser prints on stderr. */
  get stderr(): string {
    const command = this.usage.split(" ").slice(0, 2).join(" ");
    return `Error: ${this.message}\nUsage: ${this.usage}\n  See '${command} --help' for more information.\n`;
  }
}

/** ArgumentParser's exit code for a validation failure (EX_USAGE). */
export const USAGE_EXIT_CODE = 64;

export const option = (key: string, ...names: string[]): OptionSpec => ({ key, names, takesValue: true });
export const flag = (key: string, ...names: string[]): OptionSpec => ({ key, names, takesValue: false });

export function parseArgs(args: readonly string[], shape: CommandShape): ParsedArgs {
  const parsed: ParsedArgs = { values: new Map(), flags: new Set(), positionals: [], rest: [] };
  const byName = new Map<string, OptionSpec>();
  for (const spec of shape.options) for (const name of spec.names) byName.set(name, spec);
  let i = 0;
  for (; i < args.length; i++) {
    if (shape.leading !== undefined && parsed.positionals.length === shape.leading) break;
    const arg = args[i] as string;
    if (arg === "--") {
      i++;
      break;
    }
    if (arg.startsWith("-") && arg !== "-") {
      const equals = arg.startsWith("--") ? arg.indexOf("=") : -1;
      const name = equals === -1 ? arg : arg.slice(0, equals);
      const spec = byName.get(name);
      if (spec === undefined) throw new UsageError(`Unknown option '${name}'`, shape.usage);
      if (!spec.takesValue) {
        if (equals !== -1) throw new UsageError(`Unknown option '${arg}'`, shape.usage);
        parsed.flags.add(spec.key);
        continue;
      }
      const value = equals === -1 ? args[++i] : arg.slice(equals + 1);
      if (value === undefined) throw new UsageError(`Missing value for '${name} <${spec.key}>'`, shape.usage);
      parsed.values.set(spec.key, [...(parsed.values.get(spec.key) ?? []), value]);
      continue;
    }
    parsed.positionals.push(arg);
  }
  if (shape.leading !== undefined) parsed.rest = args.slice(i);
  else parsed.positionals.push(...args.slice(i));
  if (parsed.positionals.length < shape.minPositionals) {
    throw new UsageError("Missing expected argument", shape.usage);
  }
  if (shape.maxPositionals !== undefined && parsed.positionals.length > shape.maxPositionals) {
    throw new UsageError(`Unexpected argument '${parsed.positionals[shape.maxPositionals]}'`, shape.usage);
  }
  return parsed;
}

/** The last value of an option, or undefined. */
export function lastValue(parsed: ParsedArgs, key: string): string | undefined {
  return parsed.values.get(key)?.at(-1);
}
