import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CanceledError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
} from "../../../src/index.js";
import { everyByte, type FilesContext, type FilesSuiteOptions, fileSha256, MiB, sha256 } from "./fixtures.js";

const md5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

/** Single files: contents byte for byte, progress, cancels, errors, read-only paths. */
export function describeSingleFiles(ctx: FilesContext, options: FilesSuiteOptions): void {
  describe("single files", () => {
    it.each([0, 1, 5 * MiB])(
      "round-trips %i random bytes with every byte value, equal sha256 both ways",
      async (size) => {
        const data = everyByte(size);
        const path = `${ctx.work}/bytes-${size}.bin`;
        const written = await ctx.sb.files.write(path, data);
        // busybox and coreutils both have md5sum (the fastest checksum tool the confirm takes), so
        // the sandbox checked the bytes before the rename.
        expect(written).toEqual({ path, size, verified: "md5", checksum: md5(data) });
        expect(await ctx.shell(ctx.sb, 'sha256sum < "$1"', path)).toBe(`${sha256(data)}  -`);
        expect(sha256(await ctx.sb.files.read(path))).toBe(sha256(data));

        const down = join(ctx.local, `down-${size}.bin`);
        expect(await ctx.sb.files.download(path, down)).toEqual({ kind: "file", bytes: size });
        expect(await fileSha256(down)).toBe(sha256(data));
        const again = `${ctx.work}/up-${size}.bin`;
        expect(await ctx.sb.files.upload(down, again)).toEqual({ kind: "file", bytes: size });
        expect(await ctx.shell(ctx.sb, 'sha256sum < "$1"', again)).toBe(`${sha256(data)}  -`);
      },
      60_000,
    );

    it('confirms by size alone with verify: "size", and refuses an unknown verify naming it', async () => {
      const data = everyByte(100_000);
      const path = `${ctx.work}/size-only.bin`;
      expect(await ctx.sb.files.write(path, data, { verify: "size" })).toEqual({
        path,
        size: data.length,
        verified: "size",
      });
      expect(sha256(await ctx.sb.files.read(path))).toBe(sha256(data));
      const local = join(ctx.local, "size-only.bin");
      await writeFile(local, data);
      expect(await ctx.sb.files.upload(local, `${path}.up`, { verify: "size" })).toEqual({
        kind: "file",
        bytes: data.length,
      });
      expect(await ctx.shell(ctx.sb, 'sha256sum < "$1"', `${path}.up`)).toBe(`${sha256(data)}  -`);
      await expect(
        ctx.sb.files.write(path, data, { verify: "md5" as unknown as "size" }),
      ).rejects.toMatchObject({ name: InvalidArgumentError.name, field: "verify" });
    }, 30_000);

    it("writes text, streams and async iterables, sets the mode, and replaces an existing file", async () => {
      const path = `${ctx.work}/text.txt`;
      await ctx.sb.files.write(path, "héllo\n");
      expect(await ctx.shell(ctx.sb, 'cat "$1"', path)).toBe("héllo");
      await ctx.sb.files.write(
        path,
        (async function* () {
          yield Buffer.from("one ");
          yield new Uint8Array([116, 119, 111]);
        })(),
        { mode: 0o750 },
      );
      expect(Buffer.from(await ctx.sb.files.read(path)).toString()).toBe("one two");
      const entry = await ctx.sb.files.stat(path);
      expect(entry).toMatchObject({ name: "text.txt", path, type: "file", size: 7, mode: 0o750 });
      expect(Math.abs(entry.mtime.getTime() - Date.now())).toBeLessThan(120_000);
      await writeFile(join(ctx.local, "stream.txt"), "from a Readable");
      await ctx.sb.files.write(path, createReadStream(join(ctx.local, "stream.txt")));
      expect(Buffer.from(await ctx.sb.files.read(path)).toString()).toBe("from a Readable");
    }, 30_000);

    it("reports progress with the total, and readStream yields the bytes as they come", async () => {
      const data = everyByte(3 * MiB);
      const path = `${ctx.work}/progress.bin`;
      const seen: { bytes: number; total?: number }[] = [];
      await ctx.sb.files.write(path, data, { onProgress: (p) => seen.push(p) });
      expect(seen.length).toBeGreaterThanOrEqual(12);
      expect(seen.at(-1)).toEqual({ bytes: 3 * MiB, total: 3 * MiB });
      const read: { bytes: number; total?: number }[] = [];
      const hash = createHash("sha256");
      let chunks = 0;
      for await (const chunk of ctx.sb.files.readStream(path, { onProgress: (p) => read.push(p) })) {
        hash.update(chunk);
        chunks++;
      }
      expect(hash.digest("hex")).toBe(sha256(data));
      expect(chunks).toBeGreaterThan(1);
      expect(read.at(-1)).toEqual({ bytes: 3 * MiB, total: 3 * MiB });
    }, 30_000);

    it("a cancelled write leaves the old file under the name and no temporary behind", async () => {
      const path = `${ctx.work}/cancel.bin`;
      await ctx.sb.files.write(path, "old contents");
      const controller = new AbortController();
      const endless = (async function* () {
        for (;;) {
          yield randomBytes(256 * 1024);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const write = ctx.sb.files.write(path, endless, {
        signal: controller.signal,
        onProgress: ({ bytes }) => {
          if (bytes >= 4 * MiB) controller.abort();
        },
      });
      await expect(write).rejects.toBeInstanceOf(CanceledError);
      expect(Buffer.from(await ctx.sb.files.read(path)).toString()).toBe("old contents");
      const names = (await ctx.sb.files.list(ctx.work)).map((e) => e.name);
      expect(names.filter((n) => n.includes("cancel.bin"))).toEqual(["cancel.bin"]);

      const fresh = `${ctx.work}/never.bin`;
      const late = new AbortController();
      const second = ctx.sb.files.write(fresh, everyByte(8 * MiB), {
        signal: late.signal,
        onProgress: ({ bytes }) => {
          if (bytes >= 2 * MiB) late.abort();
        },
      });
      await expect(second).rejects.toBeInstanceOf(CanceledError);
      expect(await ctx.sb.files.exists(fresh)).toBe(false);
      expect(
        (await ctx.sb.files.list(ctx.work)).map((e) => e.name).filter((n) => n.includes("never")),
      ).toEqual([]);
    }, 30_000);

    it("a cancelled download leaves no local file, and a 255-byte name round-trips", async () => {
      const path = `${ctx.work}/${"é".repeat(127)}x`;
      const data = everyByte(6 * MiB);
      await ctx.sb.files.write(path, data);
      expect((await ctx.sb.files.list(ctx.work)).map((e) => e.name)).toContain(`${"é".repeat(127)}x`);
      const controller = new AbortController();
      const dest = join(ctx.local, "cancelled-download.bin");
      const download = ctx.sb.files.download(path, dest, {
        signal: controller.signal,
        onProgress: ({ bytes, total }) => {
          expect(total).toBe(6 * MiB);
          if (bytes >= MiB) controller.abort();
        },
      });
      await expect(download).rejects.toBeInstanceOf(CanceledError);
      expect((await readdir(ctx.local)).filter((n) => n.includes("cancelled-download"))).toEqual([]);
      await ctx.sb.files.download(path, dest);
      expect(await fileSha256(dest)).toBe(sha256(data));
    }, 30_000);

    it("names what is wrong: missing files and directories, directories, bad paths", async () => {
      await expect(ctx.sb.files.read(`${ctx.work}/missing`)).rejects.toBeInstanceOf(NotFoundError);
      await expect(ctx.sb.files.write(`${ctx.work}/no/such/dir/f`, "x")).rejects.toThrow(
        /does not exist.*mkdir/,
      );
      await expect(ctx.sb.files.write(`${ctx.work}/no/f`, "x")).rejects.toBeInstanceOf(NotFoundError);
      await expect(ctx.sb.files.read(ctx.work)).rejects.toBeInstanceOf(FailedPreconditionError);
      await expect(ctx.sb.files.write(ctx.work, "x")).rejects.toThrow(/is a directory/);
      await expect(ctx.sb.files.write("relative/path", "x")).rejects.toMatchObject({
        constructor: InvalidArgumentError,
        field: "path",
      });
      await expect(ctx.sb.files.read("/tmp/a\0b")).rejects.toMatchObject({ field: "path" });
      await expect(ctx.sb.files.write(`${ctx.work}/x`, 42 as unknown as string)).rejects.toMatchObject({
        field: "data",
      });
      await expect(ctx.sb.files.write(`${ctx.work}/x`, "x", { mode: 0o10000 })).rejects.toMatchObject({
        field: "mode",
      });
      await expect(ctx.sb.files.upload(join(ctx.local, "missing"), `${ctx.work}/x`)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    }, 30_000);

    if (options.readOnlyPath !== undefined) {
      const readOnly = options.readOnlyPath;
      it("a write into a read-only path says the sandbox keeps it read-only", async () => {
        const failure = ctx.sb.files.write(`${readOnly}/openshell-files-test`, "x");
        await expect(failure).rejects.toBeInstanceOf(PermissionDeniedError);
        await expect(failure).rejects.toThrow(/read-only in the sandbox \(its filesystem policy/);
      }, 30_000);
    }
  });
}
