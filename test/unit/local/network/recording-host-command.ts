import { type HostCommand, HostCommandError } from "../../../../src/local/network/host-command.js";

/** What a host tool answers: its stdout, or the error it fails with. */
export type HostAnswer = (command: string) => string | HostCommandError;

/**
 * A HostCommand that records each call as one string (`iptables -w -N CHAIN`: no argument here holds
 * a space) and answers from `answer`; everything succeeds with no output unless it says otherwise.
 */
export function recordingHostCommand(answer: HostAnswer = () => ""): { run: HostCommand; calls: string[] } {
  const calls: string[] = [];
  const run: HostCommand = async (file, args) => {
    const command = [file, ...args].join(" ");
    calls.push(command);
    const result = answer(command);
    if (result instanceof HostCommandError) throw result;
    return result;
  };
  return { run, calls };
}

/** The tool ran and failed with `stderr`. */
export const failed = (stderr: string, code = 1) => new HostCommandError("host tool", code, stderr);

/** The tool is not installed. */
export const notInstalled = (tool: string) => new HostCommandError(tool, "ENOENT", `spawn ${tool} ENOENT`);
