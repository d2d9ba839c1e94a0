import type { Readable } from "node:stream";
import type { CallOptions } from "./runtime-info.js";

/** Options of `putArchive`. */
export interface PutArchiveOptions extends CallOptions {
  /** The container directory the archive is unpacked into (absolute; it should exist, see ArchiveView). */
  path: string;
  /**
   * A tar stream (uncompressed). Entries are placed as their headers say: owner (uid/gid), mode and
   * mtime are kept; a file that exists under an entry's name is replaced.
   */
  archive: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** Options of `getArchive`. */
export interface GetArchiveOptions extends CallOptions {
  /** The container path to pack (absolute): a file, a directory (with its contents) or a link. */
  path: string;
  /**
   * Read the archive into a small pool of reused buffers instead of a new Buffer per read, which
   * keeps a large download's memory flat (Docker and Podman over a unix socket or plain TCP; TLS
   * and ssh endpoints, and Apple `container`, read as without it). Each chunk `for await` gives is
   * only valid until the next one is asked for: copy what you keep. The stream's Readable side
   * (`pipe`, `data` events) still gets copies. Default false: every chunk is the caller's to keep.
   */
  reuseBuffers?: boolean;
}

/**
 * Where an engine's archive API (`GET`/`PUT /containers/{id}/archive`, what `docker cp` uses) sees
 * the same files a process in the container sees, found from the container's mounts and root. A
 * path is the real path (no symlink in it) in the container. Paths it answers false for must go
 * through exec instead: the archive API would miss them, or worse, see what a mount hides.
 *
 * - Docker 20.10 reads and writes the container's root filesystem and its volumes and binds from
 *   the host, outside the container's mount namespace. A tmpfs mount (`HostConfig.Tmpfs` or a
 *   `tmpfs` mount) is invisible to it: a PUT there answers 200 but the file lands in the directory
 *   under the mount (the container never sees it), a GET of a file on it is a 404 "Could not find
 *   the file", and a GET of a path the image has under the mount returns the image's hidden file.
 *   With a read-only root every PUT outside a volume or bind is refused, 500 "container rootfs is
 *   marked read-only" (a tmpfs path included); reads of the root still work.
 * - Podman 4.3 (through its Docker-compatible API) copies inside the container's mount namespace:
 *   tmpfs mounts, volumes and the root are seen as the container sees them. A PUT to a read-only
 *   place is refused (500 "read-only file system").
 * - A PUT into a missing directory: Docker answers 404; Podman creates it (and its parents, owned
 *   by root) and unpacks there.
 * - PUT: both keep each entry's uid/gid as the header says (without `copyUIDGID`), both replace
 *   an existing file, both set an entry's owner and mode only once its data is complete (a PUT cut
 *   off mid-file leaves a root-owned partial file), and both need `Content-Type:
 *   application/x-tar` (without it each answers 200 and unpacks nothing).
 * - GET: Docker's headers carry each file's real uid/gid (and file-type bits in the mode, 0100644);
 *   Podman 4.3's carry the container's configured user's uid/gid in every header, whoever owns the
 *   file (the real owners only by name, in uname/gname), and permission bits only. Both write a pax
 *   `path` record for names over 100 bytes.
 */
export interface ArchiveView {
  /** Whether `getArchive` of this path (or anything under it) reads what the container sees there. */
  reads(path: string): boolean;
  /** Whether `putArchive` into this directory writes where the container sees it. */
  writes(path: string): boolean;
  /**
   * Whether `getArchive` of this directory reads the whole tree the container sees under it: as
   * `reads`, and on Docker no tmpfs mounted anywhere below it either (its tar would hold what the
   * mount hides).
   */
  readsTree(path: string): boolean;
}

/** What `statArchive` tells of one container path, without reading it. */
export interface ArchivePathStat {
  /** The last component of the path. */
  name: string;
  /** Bytes, for a file. */
  size: number;
  /** What the path is: a symlink is described, not followed (both engines). */
  type: "file" | "directory" | "symlink" | "other";
  /** Permission bits (0o777). */
  permissions: number;
  mtime: Date;
}

/** A readable tar stream from `getArchive`. */
export type ArchiveStream = Readable & AsyncIterable<Uint8Array>;
