import { execFile } from "node:child_process";

/** Runs a host tool (`ip`, `iptables`) and resolves with its stdout; `fails` says why it could not. */
export type HostCommand = (file: string, args: readonly string[]) => Promise<string>;

/** A host tool failed: `stderr` is what it printed, `code` its exit status or spawn error code. */
export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | string | undefined,
    readonly stderr: string,
  ) {
    super(`\`${command}\` failed${code === undefined ? "" : ` (${code})`}: ${stderr.trim() || "no output"}`);
    this.name = "HostCommandError";
  }

  /** The tool is not installed (or not on PATH / in /usr/sbin, /sbin). */
  get missing(): boolean {
    return this.code === "ENOENT";
  }
}

/** Where root's tools live on Debian and friends; a non-login PATH often lacks them. */
const SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin";

/** Runs host tools with execFile (no shell: arguments are never re-parsed). */
export const runHostCommand: HostCommand = (file, args) =>
  new Promise((resolve, reject) => {
    const env = { ...process.env, PATH: `${process.env.PATH ?? ""}:${SBIN_PATH}`, LC_ALL: "C" };
    execFile(file, args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = typeof error.code === "number" || typeof error.code === "string" ? error.code : undefined;
      reject(new HostCommandError([file, ...args].join(" "), code, String(stderr || error.message)));
    });
  });
