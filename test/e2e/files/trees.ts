import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FailedPreconditionError, NotFoundError } from "../../../src/index.js";
import { describeTree, everyByte, type FilesContext, sha256 } from "./fixtures.js";

/** Metadata calls and whole trees both ways: shape, names, modes, links, merges. */
export function describeTrees(ctx: FilesContext): void {
  describe("directories and metadata", () => {
    it("mkdir, list, stat, exists and remove behave like their shell commands", async () => {
      const dir = `${ctx.work}/meta/a/b`;
      await ctx.sb.files.mkdir(dir);
      await ctx.sb.files.mkdir(dir);
      await ctx.sb.files.write(`${dir}/f.txt`, "12345");
      await ctx.sb.files.write(`${ctx.work}/meta/.hidden`, "");
      await ctx.shell(ctx.sb, 'ln -s a/b/f.txt "$1/meta/link"', ctx.work);
      const listed = await ctx.sb.files.list(`${ctx.work}/meta`);
      expect(listed.map((e) => [e.name, e.type]).sort()).toEqual([
        [".hidden", "file"],
        ["a", "directory"],
        ["link", "symlink"],
      ]);
      expect(listed.find((e) => e.name === "a")?.path).toBe(`${ctx.work}/meta/a`);
      expect(await ctx.sb.files.stat(`${dir}/f.txt`)).toMatchObject({ type: "file", size: 5 });
      expect(await ctx.sb.files.stat(`${ctx.work}/meta/link`)).toMatchObject({ type: "symlink" });
      expect(await ctx.sb.files.exists(`${ctx.work}/meta/link`)).toBe(true);
      expect(await ctx.sb.files.exists(`${ctx.work}/meta/nothing`)).toBe(false);
      await expect(ctx.sb.files.stat(`${ctx.work}/meta/nothing`)).rejects.toBeInstanceOf(NotFoundError);
      await expect(ctx.sb.files.list(`${dir}/f.txt`)).rejects.toThrow(/not a directory/);
      await expect(ctx.sb.files.mkdir(`${dir}/f.txt`)).rejects.toBeInstanceOf(FailedPreconditionError);
      await expect(ctx.sb.files.mkdir(`${ctx.work}/meta/x/y`, { recursive: false })).rejects.toBeInstanceOf(
        NotFoundError,
      );

      await expect(ctx.sb.files.remove(`${ctx.work}/meta/a`)).rejects.toThrow(/not empty/i);
      await ctx.sb.files.remove(`${ctx.work}/meta/link`);
      expect(await ctx.sb.files.exists(`${dir}/f.txt`)).toBe(true);
      await ctx.sb.files.remove(`${ctx.work}/meta/a`, { recursive: true });
      expect(await ctx.sb.files.exists(`${ctx.work}/meta/a`)).toBe(false);
      await expect(ctx.sb.files.remove(`${ctx.work}/meta/a`)).rejects.toBeInstanceOf(NotFoundError);
      await ctx.sb.files.remove(`${ctx.work}/meta/a`, { force: true });
    }, 30_000);

    it("uploads and downloads a tree: nested folders, spaces, non-ASCII and long names, modes, empty folders, links", async () => {
      const tree = join(ctx.local, "tree");
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

      const remote = `${ctx.work}/tree`;
      const up = await ctx.sb.files.upload(tree, remote);
      expect(up).toEqual({ kind: "directory", bytes: 300_000 + 3 + 6 + 18 + 1 });
      expect(await ctx.shell(ctx.sb, 'cat "$1/ünïcødé 日本/ñame.txt"', remote)).toBe("名前");
      expect((await ctx.sb.files.stat(`${remote}/run.sh`)).mode).toBe(0o755);
      expect((await ctx.sb.files.stat(`${remote}/secret`)).mode).toBe(0o600);
      expect(await ctx.sb.files.list(`${remote}/empty`)).toEqual([]);
      expect(await ctx.shell(ctx.sb, 'sh "$1/run.sh"', remote)).toBe("hi");

      const back = join(ctx.local, "tree-back");
      const down = await ctx.sb.files.download(remote, back);
      expect(down).toEqual({ kind: "directory", bytes: up.bytes });
      expect(await describeTree(back)).toEqual(await describeTree(tree));
    }, 60_000);

    it("a downloaded tree keeps symlinks as links and never reads what they point to outside it", async () => {
      const remote = `${ctx.work}/escape`;
      await ctx.sb.files.mkdir(remote);
      await ctx.sb.files.write(`${remote}/inside.txt`, "in");
      await ctx.shell(ctx.sb, 'ln -s /etc "$1/etc-link" && ln -s /etc/passwd "$1/passwd-link"', remote);
      // Missing local parents are created, as `mkdir -p` would.
      const back = join(ctx.local, "made", "on demand", "escape-back");
      await ctx.sb.files.download(remote, back);
      expect(await describeTree(back)).toEqual({
        "etc-link": "link -> /etc",
        "inside.txt": `file 644 ${sha256(Buffer.from("in"))}`,
        "passwd-link": "link -> /etc/passwd",
      });
    }, 30_000);

    it("uploading into an existing directory merges at the top level", async () => {
      const remote = `${ctx.work}/merge`;
      await ctx.sb.files.mkdir(remote);
      await ctx.sb.files.write(`${remote}/keep.txt`, "keep");
      await ctx.sb.files.write(`${remote}/replace.txt`, "old");
      const src = join(ctx.local, "merge-src");
      await mkdir(src);
      await writeFile(join(src, "replace.txt"), "new");
      await writeFile(join(src, "added.txt"), "added");
      await ctx.sb.files.upload(src, remote);
      const names = (await ctx.sb.files.list(remote)).map((e) => e.name).sort();
      expect(names).toEqual(["added.txt", "keep.txt", "replace.txt"]);
      expect(Buffer.from(await ctx.sb.files.read(`${remote}/replace.txt`)).toString()).toBe("new");
    }, 30_000);
  });
}
