import {
  AlreadyExistsError,
  ContainerRuntimeError,
  NotFoundError,
  OpenShellError,
  RuntimeNotFoundError,
} from "../../../errors.js";

export const KIND = "apple-container";

/** Flags whose value is `KEY=VALUE` where VALUE may be a secret (API keys travel in env). */
const SECRET_VALUE_FLAGS = new Set(["-e", "--env", "--build-arg"]);
/** Shorter values are not scrubbed from CLI output: `1` or `yes` would mangle every message. */
const MIN_SCRUBBED_LENGTH = 6;
const MAX_COMMAND_CHARS = 300;
const MAX_DETAIL_CHARS = 600;

export const START_ADVICE =
  "Start it with `container system start` (check with `container system status`), then try again.";

/** argv with every env and build-arg value masked, and the values that were masked. */
export function redactArgs(args: readonly string[]): { shown: string[]; secrets: string[] } {
  const shown: string[] = [];
  const secrets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const next = args[i + 1];
    if (SECRET_VALUE_FLAGS.has(arg) && next !== undefined) {
      const equals = next.indexOf("=");
      const value = equals === -1 ? "" : next.slice(equals + 1);
      shown.push(arg, equals === -1 ? next : `${next.slice(0, equals)}=***`);
      if (value !== "") secrets.push(value);
      i++;
    } else {
      shown.push(arg);
    }
  }
  return { shown, secrets };
}

/** The command line for messages: env values masked, long lines cut. */
export function describeCommand(command: string, args: readonly string[]): string {
  const words = [command, ...redactArgs(args).shown].map((word) =>
    word === "" || /[\s"'\\]/.test(word) ? JSON.stringify(word) : word,
  );
  const line = words.join(" ");
  return line.length <= MAX_COMMAND_CHARS ? line : `${line.slice(0, MAX_COMMAND_CHARS)}…`;
}

/** Removes every secret value from text the CLI printed (it may echo a rejected argument). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SCRUBBED_LENGTH) result = result.split(secret).join("***");
  }
  return result;
}

type FailureKind = "system-down" | "already-exists" | "not-found" | "other";

/**
 * What a failed command's stderr says. The CLI prints runtime errors as `Error: <code>: "<detail>"`
 * (`notFound`, `exists`), and some commands print plain text (`Error: No such container: web`).
 */
export function classifyFailure(stderr: string): FailureKind {
  if (
    /XPC connection error|Connection (invalid|interrupted)|container system start|apiserver is not running|not registered with launchd/i.test(
      stderr,
    )
  ) {
    return "system-down";
  }
  if (/\b(alreadyExists|exists):|already exists/i.test(stderr)) return "already-exists";
  if (/\bnotFound:|not found|no such (container|image|network|volume|object)/i.test(stderr))
    return "not-found";
  return "other";
}

/**
 * The error for a command that exited non-zero; env values never appear in it. Its kind comes from
 * `classified` when given (the part of the output that is the CLI's own error), else from `output`.
 */
export function cliFailure(
  command: string,
  args: readonly string[],
  exitCode: number,
  output: string,
  classified?: string,
): OpenShellError {
  const { secrets } = redactArgs(args);
  const text = scrubSecrets(output.trim(), secrets);
  // The end of the output: that is where a build or pull says what went wrong.
  const detail =
    text === "" ? "no output" : text.length <= MAX_DETAIL_CHARS ? text : `…${text.slice(-MAX_DETAIL_CHARS)}`;
  const message = `\`${describeCommand(command, args)}\` failed (exit ${exitCode}): ${detail}`;
  switch (classifyFailure(classified ?? text)) {
    case "system-down":
      return new ContainerRuntimeError(
        `${message}. The container system service is not running. ${START_ADVICE}`,
        {
          runtime: KIND,
          statusCode: exitCode,
        },
      );
    case "already-exists":
      return new AlreadyExistsError(message);
    case "not-found":
      return new NotFoundError(message);
    case "other":
      return new ContainerRuntimeError(message, { runtime: KIND, statusCode: exitCode });
  }
}

/** The error for a command that could not run at all; SDK errors (canceled, timeout) pass through. */
export function spawnFailure(command: string, args: readonly string[], error: unknown): OpenShellError {
  if (error instanceof OpenShellError) return error;
  if ((error as { code?: unknown } | null)?.code === "ENOENT") {
    return new RuntimeNotFoundError(
      `the \`${command}\` command was not found. Install Apple container (macOS 26 on Apple silicon, ` +
        "https://github.com/apple/container/releases), or pass { command: '/path/to/container' }.",
      {
        cause: error,
        probes: [{ runtime: KIND, location: command, source: "command option", reason: "not found on PATH" }],
      },
    );
  }
  return new ContainerRuntimeError(
    `\`${describeCommand(command, args)}\` could not be run: ${error instanceof Error ? error.message : String(error)}`,
    { runtime: KIND, cause: error },
  );
}
