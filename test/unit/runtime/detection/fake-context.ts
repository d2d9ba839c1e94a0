import path from "node:path";
import type { DetectionContext, Env } from "../../../../src/runtime/detection/index.js";

export interface FakeMachine {
  env?: Env;
  platform?: NodeJS.Platform;
  homedir?: string;
  uid?: number | undefined;
  /** File contents by absolute path; every parent folder then exists too. */
  files?: Record<string, string>;
  /** Symlinks: path -> what realPath resolves it to. */
  links?: Record<string, string>;
}

/** A DetectionContext over an in-memory machine, so strategies run without touching the disk. */
export function fakeContext(machine: FakeMachine = {}): DetectionContext {
  const files = machine.files ?? {};
  const paths = Object.keys(files);
  return {
    env: machine.env ?? {},
    platform: machine.platform ?? "linux",
    homedir: machine.homedir ?? "/home/me",
    uid: "uid" in machine ? machine.uid : 1000,
    readFile: async (file) => files[file],
    exists: async (file) => file in files || paths.some((p) => p.startsWith(`${file}/`)),
    listDir: async (dir) => {
      const names = new Set<string>();
      for (const p of paths) {
        if (p.startsWith(`${dir}/`)) names.add(p.slice(dir.length + 1).split("/")[0] ?? "");
      }
      return [...names].sort();
    },
    realPath: async (file) => machine.links?.[file] ?? path.posix.normalize(file),
  };
}
