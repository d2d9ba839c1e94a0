import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fileEntryEnd, fileEntryStart, readFirstEntry } from "../../../../src/client/files/archive-entry.js";
import { ByteReader } from "../../../../src/client/files/byte-reader.js";

/** `GET /containers/{id}/archive?path=` answers recorded from Docker 20.10.24 and Podman 4.3.1. */
const recorded = (name: string) =>
  readFileSync(new URL(`../../../fixtures/engine-archive/${name}`, import.meta.url));
const LONG = `${"n".repeat(150)}.txt`;

async function first(archive: Buffer) {
  const reader = new ByteReader(
    (async function* () {
      yield archive;
    })(),
  );
  const entry = await readFirstEntry(reader);
  return { entry, data: (await reader.read(entry.size)).toString() };
}

describe("readFirstEntry on engines' archives", () => {
  it("takes a long name from the pax header both engines write, with the file's data after it", async () => {
    for (const engine of ["docker", "podman"]) {
      const { entry, data } = await first(recorded(`get-long-name-${engine}.tar`));
      // Docker writes the file-type bits too (0100640), Podman the permissions only.
      expect({
        name: entry.name,
        type: entry.type,
        size: entry.size,
        mode: entry.mode & 0o7777,
        data,
      }).toEqual({
        name: LONG,
        type: "file",
        size: 4,
        mode: 0o640,
        data: "abc\n",
      });
    }
  });

  it("reads Docker's real owner ids (a file chowned 1000:1001)", async () => {
    const { entry } = await first(recorded("get-short-docker.tar"));
    expect(entry.owner).toEqual({ uid: 1000, gid: 1001 });
  });

  it("reads what Podman 4.3 writes: the container's own user's ids, whoever owns the file", async () => {
    // The same 1000:1001 file in a container running as root, and a root-owned file in one running as 1000:1000.
    expect((await first(recorded("get-short-podman.tar"))).entry.owner).toEqual({ uid: 0, gid: 0 });
    expect((await first(recorded("get-root-owned-podman-root.tar"))).entry.owner).toEqual({ uid: 0, gid: 0 });
    expect((await first(recorded("get-root-owned-podman-user-1000.tar"))).entry.owner).toEqual({
      uid: 1000,
      gid: 1000,
    });
  });
});

describe("fileEntryStart", () => {
  it("writes the owner and mode, and a GNU long name for a name over 99 bytes, which reads back", async () => {
    for (const name of ["short.part", `.${LONG}.openshell-0123456789ab.part`]) {
      const archive = Buffer.concat([
        fileEntryStart({ name, mode: 0o751, size: 3, mtime: 1_700_000_000 }, { uid: 1000, gid: 1234 }),
        Buffer.from("xyz"),
        fileEntryEnd(3),
      ]);
      expect(archive.length % 512).toBe(0);
      const { entry, data } = await first(archive);
      expect({ name: entry.name, mode: entry.mode, owner: entry.owner, mtime: entry.mtime, data }).toEqual({
        name,
        mode: 0o751,
        owner: { uid: 1000, gid: 1234 },
        mtime: 1_700_000_000,
        data: "xyz",
      });
    }
  });

  it("refuses an id a ustar header cannot hold", () => {
    expect(() =>
      fileEntryStart({ name: "f", mode: 0o644, size: 0, mtime: 0 }, { uid: 2 ** 21, gid: 0 }),
    ).toThrow(/does not fit a tar header/);
  });
});
