import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MissingToolError, OpenShellError } from "../../../src/index.js";
import { everyByte, type FilesContext, type FilesSuiteOptions, fileSha256, MiB, sha256 } from "./fixtures.js";

/** A missing tar, a sandbox deleted mid-write, and (on one target) 300 MiB both ways in bounded memory. */
export function describeHardCases(ctx: FilesContext, options: FilesSuiteOptions): void {
  describe("images without every tool", () => {
    it("an image without tar gets MissingToolError for directories and still moves single files", async () => {
      const bin = `/tmp/openshell-notar-${randomBytes(3).toString("hex")}`;
      // Its own PATH, holding every tool but tar; the main command finds sleep on a PATH of its own.
      const s = await ctx.sandbox("notar", {
        ...options.plainShellSandbox,
        env: { PATH: bin },
        command: [
          "/bin/sh",
          "-c",
          "PATH=/usr/bin:/bin; trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done",
        ],
      });
      await ctx.shell(
        s,
        'PATH=/usr/bin:/bin; mkdir -p "$1" && for t in sh cat mv rm mkdir rmdir stat sha256sum chmod; do ln -s "$(command -v $t)" "$1/$t"; done',
        bin,
      );
      const base = `${bin}/files`;
      await s.files.mkdir(base);
      const data = everyByte(100_000);
      // No md5sum on this PATH: the confirm falls back to sha256sum, and to the size alone without it.
      expect(await s.files.write(`${base}/single.bin`, data)).toMatchObject({
        verified: "sha256",
        checksum: sha256(data),
      });
      expect(sha256(await s.files.read(`${base}/single.bin`))).toBe(sha256(data));
      await ctx.shell(s, 'PATH=/usr/bin:/bin; rm "$1/sha256sum"', bin);
      const sizeOnly = await s.files.write(`${base}/size-only.bin`, data);
      expect(sizeOnly).toEqual({ path: `${base}/size-only.bin`, size: data.length, verified: "size" });
      expect(sha256(await s.files.read(`${base}/size-only.bin`))).toBe(sha256(data));

      const dir = join(ctx.local, "notar-src");
      await mkdir(dir);
      await writeFile(join(dir, "a.txt"), "a");
      const upload = s.files.upload(dir, `${base}/tree`);
      await expect(upload).rejects.toBeInstanceOf(MissingToolError);
      await expect(upload).rejects.toMatchObject({ tool: "tar", code: "failed_precondition" });
      await expect(upload).rejects.toThrow(/needs `tar`.*transfer single files/);
      expect(await s.files.exists(`${base}/tree`)).toBe(false);
      await expect(s.files.download(base, join(ctx.local, "notar-back"))).rejects.toMatchObject({
        tool: "tar",
      });
      await rm(join(ctx.local, "notar-back"), { recursive: true, force: true });
      await ctx.shell(s, 'PATH=/usr/bin:/bin; rm -rf "$1"', bin);
    }, 60_000);
  });

  describe("a sandbox that goes away", () => {
    it("a write to a sandbox deleted mid-transfer fails instead of hanging", async () => {
      const s = await ctx.sandbox("dies");
      const base = await ctx.shell(s, "pwd");
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
        const src = join(ctx.local, "large.bin");
        const out = createWriteStream(src);
        const hash = createHash("sha256");
        for (let i = 0; i < 300; i++) {
          const chunk = i === 0 ? everyByte(MiB) : randomBytes(MiB);
          hash.update(chunk);
          if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
        }
        await new Promise<void>((r, f) => out.end((e?: Error | null) => (e ? f(e) : r())));
        const expected = hash.digest("hex");
        const remote = `${ctx.work}/large.bin`;
        // Memory stays bounded: this process (the SDK, and here the embedded gateway too) grows by
        // far less than the file while moving it.
        global.gc?.();
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        const sampler = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage().rss);
        }, 50);
        try {
          expect(await ctx.sb.files.upload(src, remote)).toEqual({ kind: "file", bytes: 300 * MiB });
          expect(await ctx.shell(ctx.sb, 'sha256sum < "$1"', remote)).toBe(`${expected}  -`);
          const back = join(ctx.local, "large-back.bin");
          await ctx.sb.files.download(remote, back);
          expect(await fileSha256(back)).toBe(expected);
          await rm(back);
        } finally {
          clearInterval(sampler);
        }
        console.log(`300 MiB both ways: RSS grew by ${Math.round((peak - baseline) / MiB)} MiB at most`);
        expect(peak - baseline).toBeLessThan(150 * MiB);
        await rm(src);
        await ctx.sb.files.remove(remote);
      }, 300_000);
    });
  }
}
