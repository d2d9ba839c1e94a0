import { z } from "zod";
import { envKeySchema } from "../validation/common-schemas.js";

/** Options of `exec`, `execStream` and `execInteractive`. */
export interface ExecOptions {
  /** Working directory inside the sandbox. */
  workdir?: string;
  /** Extra environment for this command. */
  env?: Record<string, string>;
  /** Kill the command after this many seconds; it then exits with code 124. 0 or omitted: no limit. */
  timeoutSeconds?: number;
  /** Run under a TTY (stdout and stderr then arrive merged on stdout). */
  tty?: boolean;
  /** Terminal size with `tty` (default 80x24). */
  cols?: number;
  rows?: number;
  /**
   * Run the command through a plain `bash -c` instead of the gateway's default login shell
   * (`bash -lc`, which sources /etc/profile and ~/.profile first): the environment and output are
   * then exactly what the image and `env` give, for predictable automation. Default false. Gateways
   * older than this field always use the login shell.
   */
  noLoginShell?: boolean;
  /** Cancels the command's stream. The gateway stops the command. */
  signal?: AbortSignal;
  /** Deadline to reach the gateway. */
  handshakeTimeoutMs?: number;
}

/** Options of the one-shot `exec` and `execStream`. */
export interface ExecRunOptions extends ExecOptions {
  /** Bytes written to the command's stdin, which is then closed. */
  stdin?: string | Uint8Array;
}

/** SEMANTICS: <= 1024 arguments, each <= 32 KiB, no NUL. */
export const execCommandSchema = z
  .array(
    z
      .string()
      .refine((a) => Buffer.byteLength(a, "utf8") <= 32 * 1024, "each argument must be at most 32 KiB")
      .refine((a) => !a.includes("\0"), "must not contain NUL"),
  )
  .min(1, "must name a program to run")
  .max(1024, "at most 1024 arguments");

const dimension = z.number().int().min(1).max(10_000).optional();

/** What an interactive command's stdin takes: text (sent as UTF-8) or bytes. */
export const stdinDataSchema = z.union([z.string(), z.instanceof(Uint8Array)], {
  error: "must be a string or a Uint8Array",
});

export const execOptionsSchema = z
  .object({
    workdir: z.string().max(4096).optional(),
    env: z.record(envKeySchema, z.string()).optional(),
    timeoutSeconds: z.number().int().min(0).max(4_294_967_295).optional(),
    tty: z.boolean().optional(),
    cols: dimension,
    rows: dimension,
    stdin: stdinDataSchema.optional(),
    noLoginShell: z.boolean().optional(),
    signal: z.instanceof(AbortSignal).optional(),
    handshakeTimeoutMs: z.number().int().positive().optional(),
  })
  .strict();
