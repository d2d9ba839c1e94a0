import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CanceledError,
  FailedPreconditionError,
  InvalidArgumentError,
  MissingToolError,
  NotFoundError,
  type OpenShell,
  OpenShellError,
  PermissionDeniedError,
  type Sandbox,
} from "../../src/index.js";
import { uniqueName } from "./client-surface.suite.js";
import type { E2eTarget } from "./e2e-target.js";

/** What differs per target beyond E2eTarget. */
export interface FilesSuiteOptions {
  /** A path the sandbox's filesystem policy keeps read-only (local mode's read-only root). */
  readOnlyPath?: string;
  /**
   * Deleting a sandbox ends the commands running in it (true of containers; the test gateway's
   * host processes outlive their sandbox's record, so it cannot show a sandbox dying mid-transfer).
   */
  deleteEndsExecs?: boolean;
  /**
   * What to create the tar-less sandbox from: an image whose shell honours PATH (busybox's sh finds
   * its own applets, tar among them, whatever PATH says), and a policy it can run under.
   */
  plainShellSandbox?: Partial<Parameters<OpenShell["sandboxes"]["create"]>[0]>;
  /** Also round-trip a 300 MiB file (slow: one target only). */
  large?: boolean;
}

const MiB = 1024 * 1024;

/** Random bytes that hold every byte value once the length reaches 256. */
function everyByte(size: number): Buffer {
  const data = randomBytes(size);
  for (let i = 0; i < Math.min(size, 256); i++) data[i] = i;
  return data;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** A local tree as comparable facts: type, mode, content hash or link target, per relative path. */
async function describeTree(root: string, at = ""): Promise<Record<string, string>> {
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

/**
 * `sb.files` as a user drives it, against one gateway: contents round-trip byte for byte, trees
 * keep their shape, failures and cancels leave nothing under the final name, and missing tools are
 * named. Every assertion is on what the public API returns or what the sandbox then holds.
 */
export function describeFiles(makeTarget: () => Promise<E2eTarget>, options: FilesSuiteOptions = {}): void {
  let target: E2eTarget;
  let os: OpenShell;
  let sb: Sandbox;
  let work: string;
  let local: string;
  const created: Sandbox[] = [];

  async function sandbox(prefix: string, extra: Parameters<OpenShell["sandboxes"]["create"]>[0] = {}) {
    const s = await os.sandboxes.create({
      name: uniqueName(prefix),
      image: target.image,
      command: target.idleCommand,
      labels: { suite: "files" },
      ...extra,
    });
    created.push(s);
    await s.ready({ timeoutMs: 60_000 });
    return s;
  }

  /** Runs a shell command in the sandbox and returns its trimmed stdout, failing on a non-zero exit. */
  async function shell(s: Sandbox, script: string, ...args: string[]): Promise<string> {
    const r = await s.exec(["/bin/sh", "-c", script, "sh", ...args], { noLoginShell: true });
    if (r.exitCode !== 0) throw new Error(`${script} exited ${r.exitCode}: ${r.stderr}`);
    return r.stdout.trim();
  }

  beforeAll(async () => {
    target = await makeTarget();
    os = await target.connect();
    sb = await sandbox("files");
    work = `${await shell(sb, "pwd")}/files-${randomBytes(3).toString("hex")}`;
    await sb.files.mkdir(work);
    local = await mkdtemp(join(tmpdir(), "openshell-files-"));
  }, 120_000);

  afterAll(async () => {
    for (const s of created) await s[Symbol.asyncDispose]().catch(() => undefined);
    os?.close();
    await target?.close();
    if (local) await rm(local, { recursive: true, force: true });
  }, 120_000);

  describe("single files", () => {
    it.each([0, 1, 5 * MiB])(
      "round-trips %i random bytes with every byte value, equal sha256 both ways",
      async (size) => {
        const data = everyByte(size);
        const path = `${work}/bytes-${size}.bin`;
        const written = await sb.files.write(path, data);
        expect(written).toMatchObject({ path, size, sha256: sha256(data) });
        // busybox and coreutils both have sha256sum, so the sandbox checked the bytes before the rename.
        expect(written.verified).toBe("sha256");
        expect(await shell(sb, 'sha256sum < "$1"', path)).toBe(`${sha256(data)}  -`);
        expect(sha256(await sb.files.read(path))).toBe(sha256(data));

        const down = join(local, `down-${size}.bin`);
        expect(await sb.files.download(path, down)).toEqual({ kind: "file", bytes: size });
        expect(await fileSha256(down)).toBe(sha256(data));
        const again = `${work}/up-${size}.bin`;
        expect(await sb.files.upload(down, again)).toEqual({ kind: "file", bytes: size });
        expect(await shell(sb, 'sha256sum < "$1"', again)).toBe(`${sha256(data)}  -`);
      },
      60_000,
    );

    it("writes text, streams and async iterables, sets the mode, and replaces an existing file", async () => {
      const path = `${work}/text.txt`;
      await sb.files.write(path, "héllo\n");
      expect(await shell(sb, 'cat "$1"', path)).toBe("héllo");
      await sb.files.write(
        path,
        (async function* () {
          yield Buffer.from("one ");
          yield new Uint8Array([116, 119, 111]);
        })(),
        { mode: 0o750 },
      );
      expect(Buffer.from(await sb.files.read(path)).toString()).toBe("one two");
      const entry = await sb.files.stat(path);
      expect(entry).toMatchObject({ name: "text.txt", path, type: "file", size: 7, mode: 0o750 });
      expect(Math.abs(entry.mtime.getTime() - Date.now())).toBeLessThan(120_000);
      await writeFile(join(local, "stream.txt"), "from a Readable");
      await sb.files.write(path, createReadStream(join(local, "stream.txt")));
      expect(Buffer.from(await sb.files.read(path)).toString()).toBe("from a Readable");
    }, 30_000);

    it("reports progress with the total, and readStream yields the bytes as they come", async () => {
      const data = everyByte(3 * MiB);
      const path = `${work}/progress.bin`;
      const seen: { bytes: number; total?: number }[] = [];
      await sb.files.write(path, data, { onProgress: (p) => seen.push(p) });
      expect(seen.length).toBeGreaterThanOrEqual(12);
      expect(seen.at(-1)).toEqual({ bytes: 3 * MiB, total: 3 * MiB });
      const read: { bytes: number; total?: number }[] = [];
      const hash = createHash("sha256");
      let chunks = 0;
      for await (const chunk of sb.files.readStream(path, { onProgress: (p) => read.push(p) })) {
        hash.update(chunk);
        chunks++;
      }
      expect(hash.digest("hex")).toBe(sha256(data));
      expect(chunks).toBeGreaterThan(1);
      expect(read.at(-1)).toEqual({ bytes: 3 * MiB, total: 3 * MiB });
    }, 30_000);

    it("a cancelled write leaves the old file under the name and no temporary behind", async () => {
      const path = `${work}/cancel.bin`;
      await sb.files.write(path, "old contents");
      const controller = new AbortController();
      const endless = (async function* () {
        for (;;) {
          yield randomBytes(256 * 1024);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const write = sb.files.write(path, endless, {
        signal: controller.signal,
        onProgress: ({ bytes }) => {
          if (bytes >= 4 * MiB) controller.abort();
        },
      });
      await expect(write).rejects.toBeInstanceOf(CanceledError);
      expect(Buffer.from(await sb.files.read(path)).toString()).toBe("old contents");
      const names = (await sb.files.list(work)).map((e) => e.name);
      expect(names.filter((n) => n.includes("cancel.bin"))).toEqual(["cancel.bin"]);

      const fresh = `${work}/never.bin`;
      const late = new AbortController();
      const second = sb.files.write(fresh, everyByte(8 * MiB), {
        signal: late.signal,
        onProgress: ({ bytes }) => {
          if (bytes >= 2 * MiB) late.abort();
        },
      });
      await expect(second).rejects.toBeInstanceOf(CanceledError);
      expect(await sb.files.exists(fresh)).toBe(false);
      expect((await sb.files.list(work)).map((e) => e.name).filter((n) => n.includes("never"))).toEqual([]);
    }, 30_000);

    it("a cancelled download leaves no local file, and a 255-byte name round-trips", async () => {
      const path = `${work}/${"é".repeat(127)}x`;
      const data = everyByte(6 * MiB);
      await sb.files.write(path, data);
      expect((await sb.files.list(work)).map((e) => e.name)).toContain(`${"é".repeat(127)}x`);
      const controller = new AbortController();
      const dest = join(local, "cancelled-download.bin");
      const download = sb.files.download(path, dest, {
        signal: controller.signal,
        onProgress: ({ bytes, total }) => {
          expect(total).toBe(6 * MiB);
          if (bytes >= MiB) controller.abort();
        },
      });
      await expect(download).rejects.toBeInstanceOf(CanceledError);
      expect((await readdir(local)).filter((n) => n.includes("cancelled-download"))).toEqual([]);
      await sb.files.download(path, dest);
      expect(await fileSha256(dest)).toBe(sha256(data));
    }, 30_000);

    it("names what is wrong: missing files and directories, directories, bad paths", async () => {
      await expect(sb.files.read(`${work}/missing`)).rejects.toBeInstanceOf(NotFoundError);
      await expect(sb.files.write(`${work}/no/such/dir/f`, "x")).rejects.toThrow(/does not exist.*mkdir/);
      await expect(sb.files.write(`${work}/no/f`, "x")).rejects.toBeInstanceOf(NotFoundError);
      await expect(sb.files.read(work)).rejects.toBeInstanceOf(FailedPreconditionError);
      await expect(sb.files.write(work, "x")).rejects.toThrow(/is a directory/);
      await expect(sb.files.write("relative/path", "x")).rejects.toMatchObject({
        constructor: InvalidArgumentError,
        field: "path",
      });
      await expect(sb.files.read("/tmp/a\0b")).rejects.toMatchObject({ field: "path" });
      await expect(sb.files.write(`${work}/x`, 42 as unknown as string)).rejects.toMatchObject({
        field: "data",
      });
      await expect(sb.files.write(`${work}/x`, "x", { mode: 0o10000 })).rejects.toMatchObject({
        field: "mode",
      });
      await expect(sb.files.upload(join(local, "missing"), `${work}/x`)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    }, 30_000);

    if (options.readOnlyPath !== undefined) {
      const readOnly = options.readOnlyPath;
      it("a write into a read-only path says the sandbox keeps it read-only", async () => {
        const failure = sb.files.write(`${readOnly}/openshell-files-test`, "x");
        await expect(failure).rejects.toBeInstanceOf(PermissionDeniedError);
        await expect(failure).rejects.toThrow(/read-only in the sandbox \(its filesystem policy/);
      }, 30_000);
    }
  });

  describe("directories and metadata", () => {
    it("mkdir, list, stat, exists and remove behave like their shell commands", async () => {
      const dir = `${work}/meta/a/b`;
      await sb.files.mkdir(dir);
      await sb.files.mkdir(dir);
      await sb.files.write(`${dir}/f.txt`, "12345");
      await sb.files.write(`${work}/meta/.hidden`, "");
      await shell(sb, 'ln -s a/b/f.txt "$1/meta/link"', work);
      const listed = await sb.files.list(`${work}/meta`);
      expect(listed.map((e) => [e.name, e.type]).sort()).toEqual([
        [".hidden", "file"],
        ["a", "directory"],
        ["link", "symlink"],
      ]);
      expect(listed.find((e) => e.name === "a")?.path).toBe(`${work}/meta/a`);
      expect(await sb.files.stat(`${dir}/f.txt`)).toMatchObject({ type: "file", size: 5 });
      expect(await sb.files.stat(`${work}/meta/link`)).toMatchObject({ type: "symlink" });
      expect(await sb.files.exists(`${work}/meta/link`)).toBe(true);
      expect(await sb.files.exists(`${work}/meta/nothing`)).toBe(false);
      await expect(sb.files.stat(`${work}/meta/nothing`)).rejects.toBeInstanceOf(NotFoundError);
      await expect(sb.files.list(`${dir}/f.txt`)).rejects.toThrow(/not a directory/);
      await expect(sb.files.mkdir(`${dir}/f.txt`)).rejects.toBeInstanceOf(FailedPreconditionError);
      await expect(sb.files.mkdir(`${work}/meta/x/y`, { recursive: false })).rejects.toBeInstanceOf(
        NotFoundError,
      );

      await expect(sb.files.remove(`${work}/meta/a`)).rejects.toThrow(/not empty/i);
      await sb.files.remove(`${work}/meta/link`);
      expect(await sb.files.exists(`${dir}/f.txt`)).toBe(true);
      await sb.files.remove(`${work}/meta/a`, { recursive: true });
      expect(await sb.files.exists(`${work}/meta/a`)).toBe(false);
      await expect(sb.files.remove(`${work}/meta/a`)).rejects.toBeInstanceOf(NotFoundError);
      await sb.files.remove(`${work}/meta/a`, { force: true });
    }, 30_000);

    it("uploads and downloads a tree: nested folders, spaces, non-ASCII and long names, modes, empty folders, links", async () => {
      const tree = join(local, "tree");
      const long = "x".repeat(60);
      await mkdir(join(tree, "nested", "deeper", long, long), { recursive: true });
      await mkdir(join(tree, "with space"));
      await mkdir(join(tree, "ünïcødé 日本"));
      await mkdir(join(tree, "empty"));
      await writeFile(join(tree, "nested", "deeper", long, long, "deep file.bin"), everyByte(300_000));
      await writeFile(join(tree, "with space", "file one.txt"), "one");
      await writeFile(join(tree, "ünïcødé 日本", "ñame.txt"), "名前");
      await writeFile(join(tree, "run.sh"), "#!/bin/sh\necho hi\n");
      await chmod(join(tree, "run.sh"), 0o755);
      await writeFile(join(tree, "secret"), "s");
      await chmod(join(tree, "secret"), 0o600);
      await writeFile(join(tree, "zero"), "");
      await chmod(join(tree, "nested"), 0o750);
      await symlink("nested/deeper", join(tree, "link"));

      const remote = `${work}/tree`;
      const up = await sb.files.upload(tree, remote);
      expect(up).toEqual({ kind: "directory", bytes: 300_000 + 3 + 6 + 18 + 1 });
      expect(await shell(sb, 'cat "$1/ünïcødé 日本/ñame.txt"', remote)).toBe("名前");
      expect((await sb.files.stat(`${remote}/run.sh`)).mode).toBe(0o755);
      expect((await sb.files.stat(`${remote}/secret`)).mode).toBe(0o600);
      expect(await sb.files.list(`${remote}/empty`)).toEqual([]);
      expect(await shell(sb, 'sh "$1/run.sh"', remote)).toBe("hi");

      const back = join(local, "tree-back");
      const down = await sb.files.download(remote, back);
      expect(down).toEqual({ kind: "directory", bytes: up.bytes });
      expect(await describeTree(back)).toEqual(await describeTree(tree));
    }, 60_000);

    it("a downloaded tree keeps symlinks as links and never reads what they point to outside it", async () => {
      const remote = `${work}/escape`;
      await sb.files.mkdir(remote);
      await sb.files.write(`${remote}/inside.txt`, "in");
      await shell(sb, 'ln -s /etc "$1/etc-link" && ln -s /etc/passwd "$1/passwd-link"', remote);
      // Missing local parents are created, as `mkdir -p` would.
      const back = join(local, "made", "on demand", "escape-back");
      await sb.files.download(remote, back);
      expect(await describeTree(back)).toEqual({
        "etc-link": "link -> /etc",
        "inside.txt": `file 644 ${sha256(Buffer.from("in"))}`,
        "passwd-link": "link -> /etc/passwd",
      });
    }, 30_000);

    it("uploading into an existing directory merges at the top level", async () => {
      const remote = `${work}/merge`;
      await sb.files.mkdir(remote);
      await sb.files.write(`${remote}/keep.txt`, "keep");
      await sb.files.write(`${remote}/replace.txt`, "old");
      const src = join(local, "merge-src");
      await mkdir(src);
      await writeFile(join(src, "replace.txt"), "new");
      await writeFile(join(src, "added.txt"), "added");
      await sb.files.upload(src, remote);
      const names = (await sb.files.list(remote)).map((e) => e.name).sort();
      expect(names).toEqual(["added.txt", "keep.txt", "replace.txt"]);
      expect(Buffer.from(await sb.files.read(`${remote}/replace.txt`)).toString()).toBe("new");
    }, 30_000);
  });

  describe("images without every tool", () => {
    it("an image without tar gets MissingToolError for directories and still moves single files", async () => {
      const bin = `/tmp/openshell-notar-${randomBytes(3).toString("hex")}`;
      // Its own PATH, holding every tool but tar; the main command finds sleep on a PATH of its own.
      const s = await sandbox("notar", {
        ...options.plainShellSandbox,
        env: { PATH: bin },
        command: [
          "/bin/sh",
          "-c",
          "PATH=/usr/bin:/bin; trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done",
        ],
      });
      await shell(
        s,
        'PATH=/usr/bin:/bin; mkdir -p "$1" && for t in sh cat mv rm mkdir rmdir stat sha256sum chmod; do ln -s "$(command -v $t)" "$1/$t"; done',
        bin,
      );
      const base = `${bin}/files`;
      await s.files.mkdir(base);
      const data = everyByte(100_000);
      await s.files.write(`${base}/single.bin`, data);
      expect(sha256(await s.files.read(`${base}/single.bin`))).toBe(sha256(data));

      const dir = join(local, "notar-src");
      await mkdir(dir);
      await writeFile(join(dir, "a.txt"), "a");
      const upload = s.files.upload(dir, `${base}/tree`);
      await expect(upload).rejects.toBeInstanceOf(MissingToolError);
      await expect(upload).rejects.toMatchObject({ tool: "tar", code: "failed_precondition" });
      await expect(upload).rejects.toThrow(/needs `tar`.*transfer single files/);
      expect(await s.files.exists(`${base}/tree`)).toBe(false);
      await expect(s.files.download(base, join(local, "notar-back"))).rejects.toMatchObject({ tool: "tar" });
      await rm(join(local, "notar-back"), { recursive: true, force: true });
      await shell(s, 'PATH=/usr/bin:/bin; rm -rf "$1"', bin);
    }, 60_000);
  });

  if (options.deleteEndsExecs)
    describe("a sandbox that goes away", () => {
      it("a write to a sandbox deleted mid-transfer fails instead of hanging", async () => {
        const s = await sandbox("dies");
        const base = await shell(s, "pwd");
        let deleting: Promise<unknown> | undefined;
        const endless = (async function* () {
          for (;;) {
            yield randomBytes(256 * 1024);
            await new Promise((r) => setTimeout(r, 10));
          }
        })();
        const write = s.files.write(`${base}/dying.bin`, endless, {
          onProgress: ({ bytes }) => {
            if (bytes >= 2 * MiB && deleting === undefined) deleting = s.delete();
          },
        });
        // The exec ends with the sandbox: an SDK error (its stream cut, or the command killed), not a hang.
        await expect(write).rejects.toBeInstanceOf(OpenShellError);
        expect(await deleting).toBe(true);
      }, 60_000);
    });

  if (options.large) {
    describe("large files", () => {
      it("round-trips 300 MiB with equal sha256, streamed both ways", async () => {
        const src = join(local, "large.bin");
        const out = createWriteStream(src);
        const hash = createHash("sha256");
        for (let i = 0; i < 300; i++) {
          const chunk = i === 0 ? everyByte(MiB) : randomBytes(MiB);
          hash.update(chunk);
          if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
        }
        await new Promise<void>((r, f) => out.end((e?: Error | null) => (e ? f(e) : r())));
        const expected = hash.digest("hex");
        const remote = `${work}/large.bin`;
        // Memory stays bounded: this process (the SDK, and here the embedded gateway too) grows by
        // far less than the file while moving it.
        global.gc?.();
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        const sampler = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage().rss);
        }, 50);
        try {
          expect(await sb.files.upload(src, remote)).toEqual({ kind: "file", bytes: 300 * MiB });
          expect(await shell(sb, 'sha256sum < "$1"', remote)).toBe(`${expected}  -`);
          const back = join(local, "large-back.bin");
          await sb.files.download(remote, back);
          expect(await fileSha256(back)).toBe(expected);
          await rm(back);
        } finally {
          clearInterval(sampler);
        }
        console.log(`300 MiB both ways: RSS grew by ${Math.round((peak - baseline) / MiB)} MiB at most`);
        expect(peak - baseline).toBeLessThan(150 * MiB);
        await rm(src);
        await sb.files.remove(remote);
      }, 300_000);
    });
  }
}
