import { execFileSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeHeader, padding, type TarHeader } from "../../../../src/client/files/tar-header.js";
import { packTree, walkTree } from "../../../../src/client/files/tar-pack.js";
import { unpackTree } from "../../../../src/client/files/tar-unpack.js";
import { ProtocolError } from "../../../../src/errors.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "openshell-tar-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An archive made entry by entry, for streams a real tar would never write. */
function archive(entries: (Partial<TarHeader> & { name: string; data?: string })[]): Buffer[] {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? "");
    blocks.push(
      encodeHeader({ mode: 0o644, mtime: 0, type: "file", linkname: "", ...e, size: data.length }),
      data,
      Buffer.alloc(padding(data.length)),
    );
  }
  blocks.push(Buffer.alloc(1024));
  return blocks;
}

async function* chunks(buffers: Buffer[], size = 1000): AsyncGenerator<Uint8Array> {
  const all = Buffer.concat(buffers);
  for (let at = 0; at < all.length; at += size) yield all.subarray(at, at + size);
}

async function tree(root: string, at = ""): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(root, at))).sort()) {
    const rel = at ? `${at}/${name}` : name;
    const s = await lstat(join(root, rel));
    if (s.isSymbolicLink()) out.push(`${rel} -> ${await readlink(join(root, rel))}`);
    else if (s.isDirectory()) out.push(`${rel}/ ${(s.mode & 0o777).toString(8)}`, ...(await tree(root, rel)));
    else out.push(`${rel} ${(s.mode & 0o777).toString(8)} ${await readFile(join(root, rel), "utf8")}`);
  }
  return out;
}

describe("unpackTree", () => {
  it("refuses names outside the destination, and writes nothing there", async () => {
    const out = join(dir, "out");
    await mkdir(out);
    for (const name of ["../evil", "./a/../../evil", "/etc/evil"]) {
      await expect(unpackTree(chunks(archive([{ name, data: "x" }])), out, () => {})).rejects.toBeInstanceOf(
        ProtocolError,
      );
    }
    expect(await readdir(dir)).toEqual(["out"]);
  });

  it("never writes through a symlink the archive made, even one pointing outside", async () => {
    const out = join(dir, "out");
    const outside = join(dir, "outside");
    await mkdir(out);
    await mkdir(outside);
    const evil = archive([
      { name: "./link", type: "symlink", linkname: outside },
      { name: "./link/planted", data: "gotcha" },
    ]);
    await expect(unpackTree(chunks(evil), out, () => {})).rejects.toThrow(
      /through a non-directory at "link"/,
    );
    expect(await readdir(outside)).toEqual([]);
  });

  it("unpacks what GNU tar writes (long names, links, empty folders, modes) as it was", async () => {
    const src = join(dir, "src");
    const long = "l".repeat(120);
    await mkdir(join(src, "empty"), { recursive: true });
    await mkdir(join(src, "ünï cødé", long), { recursive: true });
    await writeFile(join(src, "ünï cødé", long, "f.txt"), "deep", { mode: 0o600 });
    await writeFile(join(src, "run.sh"), "#!/bin/sh", { mode: 0o755 });
    await symlink("/etc/passwd", join(src, "abs-link"));
    const real = execFileSync("tar", ["-c", "-f", "-", "-C", src, "."]);
    const out = join(dir, "out");
    await mkdir(out);
    let bytes = 0;
    await unpackTree(chunks([real], 777), out, (n) => {
      bytes += n;
    });
    expect(await tree(out)).toEqual(await tree(src));
    expect(bytes).toBe(4 + 9);
  });
});

describe("packTree", () => {
  it("follows a link given as the root, and no link below it", async () => {
    const real = join(dir, "real");
    await mkdir(join(real, "sub"), { recursive: true });
    await writeFile(join(real, "sub", "f"), "f");
    await symlink(real, join(dir, "root-link"));
    await symlink("/etc", join(real, "etc-link"));
    const entries = await walkTree(join(dir, "root-link"));
    expect(
      entries.map((e) => [
        e.name,
        e.stats.isSymbolicLink() ? "link" : e.stats.isDirectory() ? "dir" : "file",
      ]),
    ).toEqual([
      ["./", "dir"],
      ["./etc-link", "link"],
      ["./sub/", "dir"],
      ["./sub/f", "file"],
    ]);
  });

  it("writes an archive GNU tar and busybox tar both unpack to the same tree", async () => {
    const src = join(dir, "src");
    const long = "n".repeat(150);
    await mkdir(join(src, "a b", long), { recursive: true });
    await mkdir(join(src, "empty"));
    await writeFile(join(src, "a b", long, "日本.txt"), "x".repeat(1000), { mode: 0o640 });
    await symlink(`a b/${long}`, join(src, "link"));
    const parts: Uint8Array[] = [];
    for await (const chunk of packTree(await walkTree(src), () => {})) parts.push(chunk);
    const packed = Buffer.concat(parts);
    // busybox is on this machine's PATH (Debian's busybox package), as in busybox-based sandbox images.
    const tools: [string, string[]][] = [
      ["tar", ["-x", "-o", "-f", "-"]],
      ["busybox", ["tar", "-x", "-o", "-f", "-"]],
    ];
    for (const [tool, args] of tools) {
      const out = join(dir, `out-${tool}`);
      await mkdir(out);
      execFileSync(tool, [...args, "-C", out], { input: packed });
      expect(await tree(out)).toEqual(await tree(src));
    }
  });
});
