import { randomBytes } from "node:crypto";
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
import { CanceledError, OpenShell, PermissionDeniedError, type Sandbox } from "../../../src/index.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { runExec } from "../../../src/runtime/run-exec.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { MiB, sha256 } from "./fixtures.js";

const IDLE = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"];

/**
 * Local mode's fast path for `sb.files`: the engine's archive API (docker cp's) carries the bytes
 * where it sees what the sandbox sees, exec everywhere else. The runtime is a real one whose archive
 * calls are counted, so each test can say which way the bytes went; the files suite (files.suite.ts)
 * checks that both ways behave the same.
 */
for (const kind of ["docker", "podman"] as const) {
  describe(`sb.files through the engine's archive API on ${kind}`, () => {
    let runtime: ContainerRuntime;
    let os: OpenShell;
    let writableRoot: Sandbox;
    let defaultPolicy: Sandbox;
    let local: string;
    const archiveCalls: string[] = [];
    /** The paths of the gets that asked for reused buffers (chunks valid until the next). */
    const reusedGets: string[] = [];
    /** The archive calls made while `body` ran. */
    const during = async (body: () => Promise<void>): Promise<string[]> => {
      const before = archiveCalls.length;
      await body();
      return archiveCalls.slice(before);
    };
    const containerOf = async (sb: Sandbox) => {
      const [container] = await runtime.listContainers({
        labels: { "openshell.ai/sandbox-id": await sb.id() },
      });
      if (container === undefined) throw new Error(`no container for ${sb.name}`);
      return container.id;
    };

    beforeAll(async () => {
      local = await mkdtemp(join(tmpdir(), "openshell-archive-"));
      runtime = await createRuntime({
        runtime: kind,
        endpoint: kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint,
      });
      const put = runtime.putArchive.bind(runtime);
      const get = runtime.getArchive.bind(runtime);
      runtime.putArchive = (id, options) => {
        archiveCalls.push(`put ${options.path}`);
        return put(id, options);
      };
      runtime.getArchive = (id, options) => {
        archiveCalls.push(`get ${options.path}`);
        if (options.reuseBuffers) reusedGets.push(options.path);
        return get(id, options);
      };
      os = await OpenShell.local({ runtime, ephemeral: true });
      const suffix = randomBytes(3).toString("hex");
      writableRoot = await os.sandboxes.create({
        name: `fast-rw-${suffix}`,
        image: testImages.sandbox,
        command: IDLE,
        policy: { filesystem: { readWrite: ["/"] } },
      });
      defaultPolicy = await os.sandboxes.create({
        name: `fast-def-${suffix}`,
        image: testImages.sandbox,
        command: IDLE,
      });
      await Promise.all([
        writableRoot.ready({ timeoutMs: 60_000 }),
        defaultPolicy.ready({ timeoutMs: 60_000 }),
      ]);
    });
    afterAll(async () => {
      await os?.close();
      await runtime?.reap();
      await runtime?.close();
      if (local) await rm(local, { recursive: true, force: true });
    });

    it("writes and reads a file with a writable root through the archive API, owned by the sandbox's user", async () => {
      const data = randomBytes(9 * MiB + 5);
      const calls = await during(async () => {
        const result = await writableRoot.files.write("/tmp/fast.bin", data, { mode: 0o640 });
        expect(result.size).toBe(data.length);
        expect(sha256(await writableRoot.files.read("/tmp/fast.bin"))).toBe(sha256(data));
      });
      expect(calls.filter((c) => c.startsWith("put "))).toEqual(["put /tmp"]);
      expect(calls).toContain("get /tmp/fast.bin");
      const seen = await writableRoot.exec(["sh", "-c", "stat -c '%u:%g %a' /tmp/fast.bin; ls -a /tmp"]);
      expect(seen.stdout.split("\n")[0]).toBe("1000:1000 640");
      expect(seen.stdout).not.toMatch(/openshell-.*\.part/);
    });

    it("moves files under 8 MiB through exec, where an archive call would cost more than it saves", async () => {
      const data = randomBytes(8 * MiB - 1);
      const calls = await during(async () => {
        await writableRoot.files.write("/tmp/small.bin", data);
        expect(sha256(await writableRoot.files.read("/tmp/small.bin"))).toBe(sha256(data));
      });
      expect(calls).toEqual([]);
    });

    it("uploads and downloads a single file through it too, progress counting to the total", async () => {
      const data = randomBytes(9 * MiB);
      await writeFile(join(local, "up.bin"), data);
      const progress: number[] = [];
      const calls = await during(async () => {
        await writableRoot.files.upload(join(local, "up.bin"), "/tmp/up.bin", {
          onProgress: (p) => progress.push(p.bytes),
        });
        await writableRoot.files.download("/tmp/up.bin", join(local, "down.bin"));
      });
      expect(calls).toContain("put /tmp");
      expect(calls).toContain("get /tmp/up.bin");
      expect(progress.at(-1)).toBe(data.length);
      expect(sha256(await readFile(join(local, "down.bin")))).toBe(sha256(data));
    });

    it("downloads read the engine's answer into reused buffers; read and readStream give chunks the caller keeps", async () => {
      const data = randomBytes(12 * MiB + 3);
      await writeFile(join(local, "reuse.bin"), data);
      await writableRoot.files.upload(join(local, "reuse.bin"), "/tmp/reuse.bin");
      const before = reusedGets.length;
      await writableRoot.files.download("/tmp/reuse.bin", join(local, "reuse-down.bin"));
      expect(reusedGets.slice(before)).toEqual(["/tmp/reuse.bin"]);
      expect(sha256(await readFile(join(local, "reuse-down.bin")))).toBe(sha256(data));
      // Kept without copying, all to the end: each must still hold its bytes.
      const kept: Uint8Array[] = [];
      const calls = await during(async () => {
        for await (const chunk of writableRoot.files.readStream("/tmp/reuse.bin")) kept.push(chunk);
      });
      expect(calls).toEqual(["get /tmp/reuse.bin"]);
      expect(reusedGets.slice(before)).toEqual(["/tmp/reuse.bin"]);
      expect(sha256(Buffer.concat(kept))).toBe(sha256(data));
      // A tree's download goes the same way: reused buffers, unpacked to the same bytes.
      await runExec(runtime, await containerOf(writableRoot), {
        command: ["sh", "-c", "mkdir -p /tmp/reuse-tree/sub && cp /tmp/reuse.bin /tmp/reuse-tree/sub/a.bin"],
      });
      await writableRoot.files.download("/tmp/reuse-tree", join(local, "reuse-tree"));
      expect(reusedGets.slice(before)).toEqual(["/tmp/reuse.bin", "/tmp/reuse-tree/."]);
      expect(sha256(await readFile(join(local, "reuse-tree/sub/a.bin")))).toBe(sha256(data));
    });

    it("uploads a tree of 8 MiB or more through it, the same modes, owners, links and bytes as exec places", async () => {
      const tree = join(local, "tree");
      await mkdir(join(tree, "sub", "deeper"), { recursive: true });
      const big = randomBytes(9 * MiB);
      await writeFile(join(tree, "big.bin"), big);
      await writeFile(join(tree, "sub", "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
      await writeFile(join(tree, "sub", "deeper", `${"n".repeat(120)}.txt`), "long\n");
      await symlink("../big.bin", join(tree, "sub", "link"));
      await chmod(join(tree, "sub"), 0o750);
      await chmod(tree, 0o700);
      const calls = await during(async () => {
        const result = await writableRoot.files.upload(tree, "/tmp/tree-fast");
        expect(result).toEqual({ kind: "directory", bytes: 9 * MiB + 18 + 5 });
      });
      const puts = calls.filter((c) => c.startsWith("put "));
      expect(puts).toHaveLength(1);
      expect(puts[0]).toMatch(/^put \/tmp\/\.tree-fast\.openshell-[0-9a-f]+\.part$/);
      const describe = async (root: string) =>
        (await writableRoot.exec(["sh", "-c", `cd ${root} && find . -exec stat -c '%n %u:%g %a %F %s' {} +`]))
          .stdout;
      const lines = (text: string, prefix: string) =>
        text
          .split("\n")
          .filter((l) => l.startsWith(prefix))
          .map((l) => l.slice(prefix.length))
          .sort();
      const fast = await describe("/tmp/tree-fast");
      expect(fast).toMatch(/^\. 1000:1000 /m);
      expect(fast).toMatch(/^\.\/sub 1000:1000 750 directory/m);
      expect(fast).toMatch(/^\.\/sub\/run\.sh 1000:1000 755 regular file 18$/m);
      expect(fast).toMatch(/^\.\/sub\/link 1000:1000 777 symbolic link/m);
      expect(fast).not.toMatch(/ 0:0 /);
      expect((await writableRoot.exec(["readlink", "/tmp/tree-fast/sub/link"])).stdout).toBe("../big.bin\n");
      expect(sha256(await writableRoot.files.read("/tmp/tree-fast/big.bin"))).toBe(sha256(big));
      // Its small part (under 8 MiB) goes through exec: every entry comes out the same.
      const exec = await during(async () => {
        await writableRoot.files.upload(join(tree, "sub"), "/tmp/tree-exec");
      });
      expect(exec.filter((c) => c.startsWith("put "))).toEqual([]);
      const execLines = await describe("/tmp/tree-exec");
      expect(lines(fast, "./sub/")).toEqual(lines(execLines, "./"));
      // The uploaded root keeps the mode the sandbox's mkdir gave it on both ways (busybox tar).
      expect(lines(fast, ". ")).toEqual(lines(execLines, ". "));
    });

    it("downloads a tree of 8 MiB or more through it: the same modes, links and bytes as the exec path gives", async () => {
      const made = [
        "mkdir -p /tmp/dl/sub/deeper",
        "head -c 9437184 /dev/urandom > /tmp/dl/big.bin",
        "printf 'run\\n' > /tmp/dl/sub/run.sh && chmod 755 /tmp/dl/sub/run.sh",
        `printf 'long\\n' > /tmp/dl/sub/deeper/${"n".repeat(120)}.txt`,
        "ln -s ../big.bin /tmp/dl/sub/link && ln -s /etc/passwd /tmp/dl/outside",
        "chmod 750 /tmp/dl/sub && chmod 700 /tmp/dl",
      ];
      await writableRoot.exec(["sh", "-c", made.join(" && ")]);
      const fastDir = join(local, "dl-fast");
      const calls = await during(async () => {
        const result = await writableRoot.files.download("/tmp/dl", fastDir);
        expect(result).toEqual({ kind: "directory", bytes: 9 * MiB + 4 + 5 });
      });
      expect(calls).toEqual(["get /tmp/dl/."]);
      const describeLocal = async (root: string): Promise<string[]> => {
        const out: string[] = [];
        const walk = async (dir: string, rel: string): Promise<void> => {
          for (const name of (await readdir(dir)).sort()) {
            const full = join(dir, name);
            const st = await lstat(full);
            const kind = st.isSymbolicLink()
              ? `link ${await readlink(full)}`
              : st.isDirectory()
                ? "dir"
                : `file ${st.size}`;
            out.push(`${rel}${name} ${(st.mode & 0o7777).toString(8)} ${kind}`);
            if (st.isDirectory()) await walk(full, `${rel}${name}/`);
          }
        };
        out.push(`. ${((await lstat(root)).mode & 0o7777).toString(8)}`);
        await walk(root, "");
        return out;
      };
      const fast = await describeLocal(fastDir);
      expect(fast).toContain(". 700");
      expect(fast).toContain("sub 750 dir");
      expect(fast).toContain("sub/run.sh 755 file 4");
      expect(fast).toContain("sub/link 777 link ../big.bin");
      expect(fast).toContain("outside 777 link /etc/passwd");
      const remoteBig = await writableRoot.files.read("/tmp/dl/big.bin");
      expect(sha256(await readFile(join(fastDir, "big.bin")))).toBe(sha256(remoteBig));
      // Its small part (under 8 MiB) comes through exec: described the same.
      const execDir = join(local, "dl-exec");
      const exec = await during(async () => {
        await writableRoot.files.download("/tmp/dl/sub", execDir);
      });
      expect(exec).toEqual([]);
      const execLines = await describeLocal(execDir);
      expect(fast.filter((l) => l.startsWith("sub/")).map((l) => l.slice(4))).toEqual(execLines.slice(1));
      expect(fast).toContain(`sub ${execLines[0]?.slice(2)} dir`);
    });

    it("downloads a tree holding what the sandbox's user may not read through exec, with exec's refusal", async () => {
      const id = await containerOf(writableRoot);
      await runExec(runtime, id, {
        user: "0:0",
        command: [
          "sh",
          "-c",
          "mkdir -p /tmp/dl-locked && head -c 9437184 /dev/zero > /tmp/dl-locked/big && echo s > /tmp/dl-locked/secret && chmod 600 /tmp/dl-locked/secret && chmod 755 /tmp/dl-locked",
        ],
      });
      const calls = await during(async () => {
        const error = await writableRoot.files
          .download("/tmp/dl-locked", join(local, "dl-locked"))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PermissionDeniedError);
      });
      expect(calls).toEqual([]);
    });

    it("a write cancelled while the engine unpacks it leaves the old file and no temporary", async () => {
      await writableRoot.files.write("/tmp/keep.txt", "old\n");
      const controller = new AbortController();
      const calls = await during(async () => {
        const error = await writableRoot.files
          .write("/tmp/keep.txt", Buffer.alloc(64 * MiB, 7), {
            signal: controller.signal,
            onProgress: ({ bytes }) => {
              if (bytes >= 4 * MiB) controller.abort();
            },
          })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CanceledError);
      });
      expect(calls).toContain("put /tmp");
      expect((await writableRoot.files.read("/tmp/keep.txt")).toString()).toBe("old\n");
      const left = await writableRoot.files.list("/tmp");
      expect(left.map((e) => e.name).filter((n) => n.endsWith(".part"))).toEqual([]);
    });

    it("a download cancelled while the engine streams it leaves no local file", async () => {
      await writableRoot.exec(["sh", "-c", "head -c 67108864 /dev/zero > /tmp/big-read"]);
      const controller = new AbortController();
      const target = join(local, "cancelled.bin");
      const calls = await during(async () => {
        const error = await writableRoot.files
          .download("/tmp/big-read", target, {
            signal: controller.signal,
            onProgress: ({ bytes }) => {
              if (bytes >= 4 * MiB) controller.abort();
            },
          })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CanceledError);
      });
      expect(calls).toEqual(["get /tmp/big-read"]);
      expect((await readdir(local)).filter((name) => name.includes("cancelled"))).toEqual([]);
    });

    it("refuses a path the sandbox's user may not write before the engine is asked to put anything", async () => {
      const calls = await during(async () => {
        const error = await writableRoot.files
          .write("/etc/not-mine", Buffer.alloc(9 * MiB))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PermissionDeniedError);
      });
      expect(calls.filter((c) => c.startsWith("put "))).toEqual([]);
      expect(
        (await writableRoot.exec(["sh", "-c", "ls /etc/ | grep -c not-mine || true"])).stdout.trim(),
      ).toBe("0");
    });

    it("does not read through the engine what the sandbox's user may not read", async () => {
      // A root-only file, made as root through the runtime (local mode never runs a sandbox as root).
      const id = await containerOf(writableRoot);
      await runExec(runtime, id, {
        user: "0:0",
        command: ["sh", "-c", "head -c 9437184 /dev/zero > /tmp/root-only && chmod 600 /tmp/root-only"],
      });
      const calls = await during(async () => {
        await expect(writableRoot.files.read("/tmp/root-only")).rejects.toBeInstanceOf(PermissionDeniedError);
      });
      expect(calls).toEqual([]);
    });

    it("with local mode's default policy takes the archive API on Podman, and exec for Docker's tmpfs", async () => {
      const data = randomBytes(9 * MiB + 1);
      const calls = await during(async () => {
        await defaultPolicy.files.write("/sandbox/on-tmpfs.bin", data);
        expect(sha256(await defaultPolicy.files.read("/sandbox/on-tmpfs.bin"))).toBe(sha256(data));
      });
      if (kind === "podman") {
        expect(calls).toContain("put /sandbox");
        expect(calls).toContain("get /sandbox/on-tmpfs.bin");
      } else {
        // Docker cannot see a tmpfs: not one archive call, and the file is whole all the same.
        expect(calls).toEqual([]);
      }
    });
  });
}
