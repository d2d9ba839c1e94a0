import { type ChildProcess, execFile, spawn } from "node:child_process";

/** How a command ended, whatever its exit status: the CLI's statuses are part of what is tested. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a non-zero status is a result here, not a failure. */
export function runToEnd(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Ended> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const failed = error as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        resolve({
          code: failed === null ? 0 : typeof failed.code === "number" ? failed.code : null,
          signal: failed?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** The docker CLI against the test engine; fails with its stderr. */
export async function docker(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const ended = await runToEnd("docker", args, { cwd: "/", env, timeoutMs: 60_000 });
  if (ended.code !== 0) throw new Error(`docker ${args.join(" ")} failed: ${ended.stderr}`);
  return ended.stdout;
}

/**
 * Starts `file args` in a process group of its own and, when a stderr line matches `trigger`, sends
 * SIGINT to the whole group, as Ctrl-C in a terminal does. Resolves when it has ended.
 */
export function interruptWhen(
  trigger: RegExp,
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Ended & { interrupted: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!interrupted && trigger.test(stderr)) {
        interrupted = true;
        killGroup(child, "SIGINT");
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, interrupted });
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Follows Docker's container-create events for image probes from `sinceSeconds` on, and maps each
 * probe container's name to the session label it carried: the only trace, once the probe has been
 * removed, of which session a command ran as (it prints the probe's name, not its session).
 */
export function followProbeSessions(
  env: NodeJS.ProcessEnv,
  sinceSeconds: number,
): { sessionOf(name: string, timeoutMs: number): Promise<string | undefined>; stop(): void } {
  const sessions = new Map<string, string>();
  const events = spawn(
    "docker",
    [
      "events",
      "--since",
      String(sinceSeconds),
      "--filter",
      "type=container",
      "--filter",
      "event=create",
      "--filter",
      "label=openshell.ai/image-probe",
      "--format",
      "{{json .Actor.Attributes}}",
    ],
    { env, stdio: ["ignore", "pipe", "ignore"] },
  );
  let pending = "";
  events.stdout.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const attributes = JSON.parse(line) as Record<string, string>;
      const { name } = attributes;
      const session = attributes["openshell.ai/session"];
      if (name !== undefined && session !== undefined) sessions.set(name, session);
    }
  });
  return {
    async sessionOf(name, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!sessions.has(name) && Date.now() < deadline) await sleep(100);
      return sessions.get(name);
    },
    stop: () => {
      events.kill();
    },
  };
}

/** `openshell-prepare-*` names (prepareImage's staging images) present in the engine now. */
export async function stagingImages(env: NodeJS.ProcessEnv): Promise<string[]> {
  const listed = await docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"], env);
  return listed.split("\n").filter((name) => name.startsWith("openshell-prepare-"));
}

/**
 * Staging images in `after` and not in `before` that are still there after `graceMs`: other
 * programs on the machine prepare images too, and remove their staging names when they finish.
 */
export async function leftStagingImages(
  env: NodeJS.ProcessEnv,
  before: readonly string[],
  graceMs: number,
): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  let left = (await stagingImages(env)).filter((name) => !before.includes(name));
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(1_000);
    const now = await stagingImages(env);
    left = left.filter((name) => now.includes(name));
  }
  return left;
}

/** True once no container with `id` exists, polling up to `timeoutMs` (the engine removes some late). */
export async function containerGone(id: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listed = await docker(["container", "ls", "--all", "--quiet", "--filter", `id=${id}`], env);
    if (listed === "") return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
