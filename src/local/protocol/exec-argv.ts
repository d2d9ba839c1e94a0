/**
 * The shell that starts every exec. It must exist in the sandbox's image; local mode's own
 * keep-alive command already needs it.
 */
export const EXEC_SHELL = "/bin/sh";

/**
 * `exec "$@"`: the shell replaces itself with the command, its arguments passed on word for word
 * (never re-read as shell syntax), so the command keeps the process, stdin, terminal and signals it
 * would have had if run directly.
 */
const EXEC_SCRIPT = 'exec "$@"';

/**
 * The argv that runs an ExecSandbox `command` in the sandbox's container. The upstream gateway runs
 * every exec through a shell in the sandbox (its supervisor's `bash -lc`), so a command the shell
 * cannot run ends like one typed at a prompt: exit 127 with "<cmd>: not found" on stderr when it is
 * not found, 126 with "Permission denied" when it is not executable. Run directly, the engines
 * answer instead, each its own way (Docker: exit 126 and its "OCI runtime exec failed" text on
 * stdout for both). Going through `/bin/sh -c 'exec "$@"'` gives those shell answers on every
 * engine while running the command itself exactly as given.
 *
 * Upstream's shell is a login shell (`bash -lc`: /etc/profile and ~/.profile are read first) unless
 * the request sets `no_login_shell` (`bash -c`). Local mode does the same with `sh -l`, which
 * busybox ash, dash and bash all take; bash is not required, since many sandbox images lack it.
 */
export function execArgv(command: readonly string[], options: { loginShell: boolean }): string[] {
  // "$0" of the script: what the shell's messages start with ("sh: exec: ...").
  return [EXEC_SHELL, ...(options.loginShell ? ["-l"] : []), "-c", EXEC_SCRIPT, "sh", ...command];
}
