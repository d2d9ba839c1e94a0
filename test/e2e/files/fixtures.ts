import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { OpenShell, Sandbox } from "../../../src/index.js";
import { uniqueName } from "../client-surface.suite.js";
import type { E2eTarget } from "../e2e-target.js";

/** What differs per target beyond E2eTarget. */
export interface FilesSuiteOptions {
  /** A path the sandbox's filesystem policy keeps read-only (local mode's read-only root). */
  readOnlyPath?: string;
  /**
   * What to create the tar-less sandbox from: an image whose shell honours PATH (busybox's sh finds
   * its own applets, tar among them, whatever PATH says), and a policy it can run under.
   */
  plainShellSandbox?: Partial<Parameters<OpenShell["sandboxes"]["create"]>[0]>;
  /** Also round-trip a 300 MiB file (slow: one target only). */
  large?: boolean;
}

export const MiB = 1024 * 1024;

/** Random bytes that hold every byte value once the length reaches 256. */
export function everyByte(size: number): Buffer {
  const data = randomBytes(size);
  for (let i = 0; i < Math.min(size, 256); i++) data[i] = i;
  return data;
}

export const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** A local tree as comparable facts: type, mode, content hash or link target, per relative path. */
export async function describeTree(root: string, at = ""): Promise<Record<string, string>> {
  const facts: Record<string, string> = {};
  for (const name of (await readdir(join(root, at))).sort()) {
    const rel = at === "" ? name : `${at}/${name}`;
    const stats = await lstat(join(root, rel));
    const mode = (stats.mode & 0o777).toString(8);
    if (stats.isSymbolicLink()) facts[rel] = `link -> ${await readlink(join(root, rel))}`;
    else if (stats.isDirectory()) {
      facts[rel] = `dir ${mode}`;
      Object.assign(facts, await describeTree(root, rel));
    } else facts[rel] = `file ${mode} ${sha256(await readFile(join(root, rel)))}`;
  }
  return facts;
}

/** What the files tests share: one sandbox and its work folder, a local folder, helpers. Set in beforeAll. */
export interface FilesContext {
  os: OpenShell;
  /** The sandbox most tests use. */
  sb: Sandbox;
  /** A fresh folder in it (under its working directory). */
  work: string;
  /** A fresh local folder, removed after the suite. */
  local: string;
  /** Creates another sandbox (deleted after the suite) and waits until it is ready. */
  sandbox(prefix: string, extra?: Parameters<OpenShell["sandboxes"]["create"]>[0]): Promise<Sandbox>;
  /** Runs a shell command in a sandbox and returns its trimmed stdout, failing on a non-zero exit. */
  shell(s: Sandbox, script: string, ...args: string[]): Promise<string>;
}

/** Connects to the target before the suite and removes everything after it. */
export function useFilesContext(makeTarget: () => Promise<E2eTarget>): FilesContext {
  let target: E2eTarget | undefined;
  const created: Sandbox[] = [];
  const ctx = {
    async sandbox(prefix: string, extra: Parameters<OpenShell["sandboxes"]["create"]>[0] = {}) {
      const s = await ctx.os.sandboxes.create({
        name: uniqueName(prefix),
        image: target?.image,
        command: target?.idleCommand,
        labels: { suite: "files" },
        ...extra,
      });
      created.push(s);
      await s.ready({ timeoutMs: 60_000 });
      return s;
    },
    async shell(s: Sandbox, script: string, ...args: string[]) {
      const r = await s.exec(["/bin/sh", "-c", script, "sh", ...args], { noLoginShell: true });
      if (r.exitCode !== 0) throw new Error(`${script} exited ${r.exitCode}: ${r.stderr}`);
      return r.stdout.trim();
    },
  } as FilesContext;

  beforeAll(async () => {
    target = await makeTarget();
    ctx.os = await target.connect();
    ctx.sb = await ctx.sandbox("files");
    ctx.work = `${await ctx.shell(ctx.sb, "pwd")}/files-${randomBytes(3).toString("hex")}`;
    await ctx.sb.files.mkdir(ctx.work);
    ctx.local = await mkdtemp(join(tmpdir(), "openshell-files-"));
  }, 120_000);

  afterAll(async () => {
    for (const s of created) await s[Symbol.asyncDispose]().catch(() => undefined);
    ctx.os?.close();
    await target?.close();
    if (ctx.local) await rm(ctx.local, { recursive: true, force: true });
  }, 120_000);
  return ctx;
}
