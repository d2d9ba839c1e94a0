import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

/** Files hashed and remembered at once: a sandbox runs few distinct binaries. */
const MAX_CACHED = 512;

/**
 * SHA-256 of the binaries processes run, read through `/proc/<pid>/exe` (the very file the process
 * runs, even where its path now names another or nothing). Remembered by the file's identity
 * (device, inode, size, modification and change times), so a binary is read once however many
 * processes run it, and a file changed in place is read again.
 */
export class BinaryHashes {
  private readonly byFile = new Map<string, Promise<string>>();

  constructor(private readonly proc = "/proc") {}

  /** The hash of what `pid` runs; rejects when the process is gone. */
  async of(pid: number): Promise<string> {
    const path = `${this.proc}/${pid}/exe`;
    const info = await stat(path, { bigint: true });
    const key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    let hash = this.byFile.get(key);
    if (hash === undefined) {
      hash = sha256(path);
      if (this.byFile.size >= MAX_CACHED) this.byFile.delete(this.byFile.keys().next().value as string);
      this.byFile.set(key, hash);
      hash.catch(() => this.byFile.delete(key));
    }
    return hash;
  }
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
