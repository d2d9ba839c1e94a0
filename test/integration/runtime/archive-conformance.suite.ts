import { createHash, randomBytes } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CanceledError, CapabilityError, InvalidArgumentError, NotFoundError } from "../../../src/errors.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { runExec } from "../../../src/runtime/run-exec.js";
import { tarEntries } from "../../support/tar-entries.js";
import type { RuntimeTarget } from "./support/runtime-target.js";

const MiB = 1024 * 1024;

/** One ustar file entry (owner and mode as given) and the archive's end, as `docker cp` would send. */
function oneFileTar(name: string, data: Buffer, owner: { uid: number; gid: number; mode: number }): Buffer {
  const header = Buffer.alloc(512);
  const octal = (value: number, offset: number, length: number) =>
    header.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, length, "ascii");
  header.write(name, 0, 100, "utf8");
  octal(owner.mode, 100, 8);
  octal(owner.uid, 108, 8);
  octal(owner.gid, 116, 8);
  octal(data.length, 124, 12);
  octal(1_700_000_000, 136, 12);
  header.write("0", 156, 1, "ascii");
  header.write("ustar\u000000", 257, 8, "ascii");
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * The archive calls (`docker cp`'s API) against one real engine: what they move, what they keep,
 * where the engine does and does not see what the container sees (archiveView), errors and cancel.
 * A runtime without `archive-copy` must refuse every call with a CapabilityError naming it.
 */
export function describeArchiveConformance(target: RuntimeTarget): void {
  describe(`ContainerRuntime archive calls: ${target.name}`, () => {
    let runtime: ContainerRuntime;
    let id: string;
    const volume = `os-archive-${process.pid}-${randomBytes(3).toString("hex")}`;
    const sh = async (script: string) => {
      const result = await runExec(runtime, id, { command: ["sh", "-c", script] });
      return { ...result, stdout: result.stdout.toString() };
    };

    beforeAll(async () => {
      runtime = await target.connect();
      if (!runtime.capabilities.has("archive-copy")) return;
      await runtime.createVolume({ name: volume });
      // What a local-mode sandbox looks like: a read-only root with tmpfs mounts, plus a volume.
      ({ id } = await runtime.createContainer({
        image: target.busyboxImage,
        command: ["sleep", "3600"],
        readOnlyRoot: true,
        mounts: [
          { type: "tmpfs", target: "/sandbox", mode: 0o1777 },
          { type: "volume", source: volume, target: "/data" },
        ],
      }));
      await runtime.startContainer(id);
    });
    afterAll(async () => {
      await runtime?.reap();
      await runtime?.close();
    });

    it("is refused with a CapabilityError naming archive-copy where the runtime has no archive API", async () => {
      if (runtime.capabilities.has("archive-copy")) {
        expect(["docker", "podman"]).toContain(runtime.kind);
        return;
      }
      const attempts = [
        runtime.putArchive("x", { path: "/tmp", archive: [] }),
        runtime.getArchive("x", { path: "/tmp" }),
        runtime.archiveView("x"),
        runtime.statArchive("x", { path: "/tmp" }),
      ];
      for (const attempt of attempts) {
        const error = await attempt.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(CapabilityError);
        expect((error as CapabilityError).missing).toEqual(["archive-copy"]);
      }
    });

    // Registered only where the runtime has the API (a skipped test would be a failure in CI):
    // Apple `container` has the refusal test above instead.
    if (target.name !== "apple-container") describeWithArchive();

    function describeWithArchive(): void {
      describe("with an archive API", () => {
        it("puts a streamed file with the header's owner and mode, replacing one of that name, and gets it back", async () => {
          await sh("echo old > /data/blob && chown 0:0 /data/blob");
          const data = randomBytes(3 * MiB + 17);
          const tar = oneFileTar("blob", data, { uid: 1000, gid: 1000, mode: 0o640 });
          // In 64 KiB pieces, as a caller streams it.
          const pieces = (async function* () {
            for (let at = 0; at < tar.length; at += 64 * 1024) yield tar.subarray(at, at + 64 * 1024);
          })();
          await runtime.putArchive(id, { path: "/data", archive: pieces });
          const seen = await sh("stat -c '%u:%g %a %s' /data/blob && sha256sum /data/blob");
          expect(seen.stdout).toBe(`1000:1000 640 ${data.length}\n${sha256(data)}  /data/blob\n`);

          const [entry, ...rest] = tarEntries(
            await collect(await runtime.getArchive(id, { path: "/data/blob" })),
          );
          expect(rest).toEqual([]);
          expect(entry?.name).toBe("blob");
          expect(sha256(entry?.data ?? Buffer.alloc(0))).toBe(sha256(data));
        });

        it("says where it sees what the container sees, and the engine behaves as it says", async () => {
          const view = await runtime.archiveView(id);
          await sh("echo inside > /sandbox/on-tmpfs");
          const tar = oneFileTar("put-here", Buffer.from("via archive\n"), { uid: 0, gid: 0, mode: 0o644 });
          if (runtime.kind === "podman") {
            // Podman copies in the container's mount namespace: tmpfs and volume alike.
            expect([view.reads("/sandbox/on-tmpfs"), view.writes("/sandbox"), view.writes("/data")]).toEqual([
              true,
              true,
              true,
            ]);
            await runtime.putArchive(id, { path: "/sandbox", archive: [tar] });
            expect((await sh("cat /sandbox/put-here")).stdout).toBe("via archive\n");
            const out = tarEntries(
              await collect(await runtime.getArchive(id, { path: "/sandbox/on-tmpfs" })),
            );
            expect(out.map((e) => e.data.toString())).toEqual(["inside\n"]);
            // A read-only place is refused, not ignored.
            await expect(runtime.putArchive(id, { path: "/etc", archive: [tar] })).rejects.toThrow(
              /read-only file system/,
            );
            return;
          }
          // Docker: tmpfs is invisible, the read-only root refuses writes, the volume is fine.
          expect(view.reads("/sandbox/on-tmpfs")).toBe(false);
          expect(view.writes("/sandbox")).toBe(false);
          expect(view.writes("/etc")).toBe(false);
          expect(view.reads("/etc/passwd")).toBe(true);
          expect(view.writes("/data")).toBe(true);
          await expect(runtime.getArchive(id, { path: "/sandbox/on-tmpfs" })).rejects.toBeInstanceOf(
            NotFoundError,
          );
          await expect(runtime.putArchive(id, { path: "/sandbox", archive: [tar] })).rejects.toThrow(
            /rootfs is marked read-only/,
          );
          await runtime.putArchive(id, { path: "/data", archive: [tar] });
          expect((await sh("cat /data/put-here")).stdout).toBe("via archive\n");
        });

        it("stats a file, a directory and a symlink as the engine sees them, and a missing path as NotFoundError", async () => {
          await sh(
            "head -c 1234 /dev/zero > /data/sized && chmod 640 /data/sized && mkdir -p /data/dir && ln -sf sized /data/link",
          );
          const file = await runtime.statArchive(id, { path: "/data/sized" });
          expect({
            name: file.name,
            size: file.size,
            type: file.type,
            permissions: file.permissions,
          }).toEqual({
            name: "sized",
            size: 1234,
            type: "file",
            permissions: 0o640,
          });
          expect(Math.abs(file.mtime.getTime() - Date.now())).toBeLessThan(10 * 60_000);
          expect((await runtime.statArchive(id, { path: "/data/dir" })).type).toBe("directory");
          // Both engines describe the link itself, not what it names.
          expect((await runtime.statArchive(id, { path: "/data/link" })).type).toBe("symlink");
          await expect(runtime.statArchive(id, { path: "/data/no-such-file" })).rejects.toBeInstanceOf(
            NotFoundError,
          );
          if (runtime.kind === "docker") {
            // Where Docker's archive API does not look (a tmpfs mount), it sees nothing.
            await sh("echo x > /sandbox/on-tmpfs-stat");
            await expect(runtime.statArchive(id, { path: "/sandbox/on-tmpfs-stat" })).rejects.toBeInstanceOf(
              NotFoundError,
            );
          }
        });

        it("reports a missing path as NotFoundError and a relative one as InvalidArgumentError naming path", async () => {
          await expect(runtime.getArchive(id, { path: "/data/no-such-file" })).rejects.toBeInstanceOf(
            NotFoundError,
          );
          const tar = oneFileTar("f", Buffer.from("x"), { uid: 0, gid: 0, mode: 0o644 });
          const put = runtime.putArchive(id, { path: "/data/no-such-dir/sub", archive: [tar] });
          if (runtime.kind === "docker") await expect(put).rejects.toBeInstanceOf(NotFoundError);
          else {
            // Podman makes the missing directories (as root) and unpacks there.
            await put;
            expect(
              (await sh("stat -c '%u %F' /data/no-such-dir/sub; cat /data/no-such-dir/sub/f")).stdout,
            ).toBe("0 directory\nx");
          }
          const error = await runtime.getArchive(id, { path: "data" }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).field).toBe("path");
        });

        it("ends a get with CanceledError when its signal aborts mid-stream", async () => {
          await sh("head -c 67108864 /dev/zero > /data/big");
          const controller = new AbortController();
          const stream = await runtime.getArchive(id, { path: "/data/big", signal: controller.signal });
          const { bytes, error } = await readUntilAborted(stream, controller, MiB);
          expect(error).toBeInstanceOf(CanceledError);
          expect(bytes).toBeLessThan(64 * MiB);
        });

        it("reads a 5 MiB random file with reuseBuffers into the same bytes, through its small pool of buffers", async () => {
          const seen = await sh("head -c 5242880 /dev/urandom > /data/r5 && sha256sum /data/r5");
          const stream = await runtime.getArchive(id, { path: "/data/r5", reuseBuffers: true });
          const copies: Buffer[] = [];
          const memory = new Set<ArrayBufferLike>();
          for await (const chunk of stream) {
            memory.add(chunk.buffer);
            copies.push(Buffer.from(chunk)); // each chunk is only valid until the next
          }
          const [entry, ...rest] = tarEntries(Buffer.concat(copies));
          expect(rest).toEqual([]);
          expect(entry?.name).toBe("r5");
          expect(`${sha256(entry?.data ?? Buffer.alloc(0))}  /data/r5\n`).toBe(seen.stdout);
          // The driver's own reader (unix socket here) reads into reused memory, not a Buffer per read.
          expect(memory.size).toBeLessThanOrEqual(8);
          // The Readable side gives copies the caller may keep: the same bytes.
          const piped = await collect(
            Readable.from(
              (await runtime.getArchive(id, { path: "/data/r5", reuseBuffers: true })).pipe(
                new PassThrough(),
              ),
            ),
          );
          expect(sha256(piped)).toBe(sha256(Buffer.concat(copies)));
        });

        it("reports a missing path and a gone container with reuseBuffers as it does without", async () => {
          const missing = { path: "/data/no-such-file" };
          const errorOf = (p: Promise<unknown>) =>
            p.then(
              () => undefined,
              (e: unknown) => e as Error,
            );
          const before = await errorOf(runtime.getArchive(id, missing));
          const after = await errorOf(runtime.getArchive(id, { ...missing, reuseBuffers: true }));
          expect(after).toBeInstanceOf(NotFoundError);
          expect(after?.message).toBe(before?.message);
          const gone = "0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef";
          const goneBefore = await errorOf(runtime.getArchive(gone, { path: "/etc" }));
          const goneAfter = await errorOf(runtime.getArchive(gone, { path: "/etc", reuseBuffers: true }));
          expect(goneAfter).toBeInstanceOf(NotFoundError);
          expect(goneAfter?.constructor).toBe(goneBefore?.constructor);
          expect(goneAfter?.message).toBe(goneBefore?.message);
          const invalid = await errorOf(
            runtime.getArchive(id, { path: "/etc", reuseBuffers: "yes" as unknown as boolean }),
          );
          expect(invalid).toBeInstanceOf(InvalidArgumentError);
          expect((invalid as InvalidArgumentError).field).toBe("reuseBuffers");
        });

        it("ends a reuseBuffers get with CanceledError when its signal aborts mid-stream, and closes its socket", async () => {
          await sh("[ -f /data/big ] || head -c 67108864 /dev/zero > /data/big");
          const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "PipeWrap").length;
          const controller = new AbortController();
          const stream = await runtime.getArchive(id, {
            path: "/data/big",
            signal: controller.signal,
            reuseBuffers: true,
          });
          const open = sockets();
          const { bytes, error } = await readUntilAborted(stream, controller, MiB);
          expect(error).toBeInstanceOf(CanceledError);
          expect(bytes).toBeLessThan(64 * MiB);
          // The socket closes at the abort (destroyed, so gone by the next turns of the loop).
          for (let i = 0; i < 50 && sockets() >= open; i++) await new Promise((r) => setTimeout(r, 10));
          expect(sockets()).toBeLessThan(open);

          // A consumer that stops early closes it too.
          const early = await runtime.getArchive(id, { path: "/data/big", reuseBuffers: true });
          const openEarly = sockets();
          for await (const chunk of early) if (chunk.length > 0) break;
          for (let i = 0; i < 50 && sockets() >= openEarly; i++) await new Promise((r) => setTimeout(r, 10));
          expect(sockets()).toBeLessThan(openEarly);
        });

        it("stops a put with CanceledError when its signal aborts while the archive is still streaming", async () => {
          const controller = new AbortController();
          const data = Buffer.alloc(8 * MiB, 1);
          const tar = oneFileTar("partial", data, { uid: 0, gid: 0, mode: 0o644 });
          const slow = Readable.from(
            (async function* () {
              for (let at = 0; at < tar.length; at += MiB) {
                if (at === 2 * MiB) controller.abort();
                yield tar.subarray(at, at + MiB);
                await new Promise((resolve) => setTimeout(resolve, 20));
              }
            })(),
          );
          await expect(
            runtime.putArchive(id, { path: "/data", archive: slow, signal: controller.signal }),
          ).rejects.toBeInstanceOf(CanceledError);
          // Whatever the engine had unpacked is not the whole file.
          const size = (await sh("stat -c %s /data/partial 2>/dev/null || echo 0")).stdout.trim();
          expect(Number(size)).toBeLessThan(data.length);
        });
      });
    }
  });
}

/** Reads `stream` and aborts `controller` once more than `after` bytes came; what it read and how it ended. */
async function readUntilAborted(
  stream: AsyncIterable<Uint8Array>,
  controller: AbortController,
  after: number,
): Promise<{ bytes: number; error: unknown }> {
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      bytes += chunk.length;
      if (bytes > after) controller.abort();
    }
  } catch (error) {
    return { bytes, error };
  }
  return { bytes, error: undefined };
}
