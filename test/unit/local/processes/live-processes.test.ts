import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryHashes } from "../../../../src/local/processes/binary-hashes.js";
import { processChain } from "../../../../src/local/processes/process-chain.js";

/** Real processes of this host (Linux /proc): a shell that waits on a sleep it started. */
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

/** Starts `sh -c 'sleep 30; :'` (the `:` keeps sh from replacing itself with sleep) and finds the sleep's pid. */
async function shellWithSleep(): Promise<{ shell: number; sleep: number }> {
  child = spawn("sh", ["-c", "sleep 30; :"], { stdio: "ignore" });
  const shell = child.pid as number;
  for (let i = 0; i < 100; i++) {
    const children = readFileSync(`/proc/${shell}/task/${shell}/children`, "utf8").trim();
    if (children !== "") return { shell, sleep: Number(children.split(" ")[0]) };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("sleep did not start");
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe.runIf(process.platform === "linux")("processes on this host, from /proc", () => {
  it("follows a process to its ancestors by their binaries (never argv)", async () => {
    const { shell, sleep } = await shellWithSleep();
    const chain = await processChain(sleep);
    expect(chain?.slice(0, 3).map((link) => [link.pid, link.exe])).toEqual([
      [sleep, realpathSync("/bin/sleep")],
      [shell, realpathSync("/bin/sh")],
      [process.pid, realpathSync(process.execPath)],
    ]);
    expect(chain?.slice(0, 3).map((link) => link.deleted)).toEqual([false, false, false]);
  });

  it("hashes what a process runs, and finds nothing of a process that is gone", async () => {
    const { sleep } = await shellWithSleep();
    const hashes = new BinaryHashes();
    expect(await hashes.of(sleep)).toBe(sha256(realpathSync("/bin/sleep")));
    // Killed, and reaped by its shell: the pid names nothing any more.
    process.kill(sleep, "SIGKILL");
    for (let i = 0; i < 100 && (await processChain(sleep)) !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await processChain(sleep)).toBeUndefined();
    await expect(hashes.of(sleep)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
