import { describe, expect, it } from "vitest";
import { kernelSpellings, socketInode } from "../../../../src/local/processes/proc-net-tcp.js";
import { parentPid } from "../../../../src/local/processes/process-chain.js";

/**
 * Recorded on this project's machine (x86_64, Docker 20.10): /proc/<pid>/net/tcp of a Debian
 * container at 172.17.0.2 while bash held a connection to 172.17.0.1:43239 from port 50514.
 */
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 020011AC:C552 010011AC:A8E7 01 00000000:00000000 00:00000000 00000000     0        0 15405902 2 00000000fbc1e7a9 20 0 0 10 -1
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 15405903 1 0000000000000000 100 0 0 10 0
`;

/** The same machine: /proc/<pid>/stat of `sleep 4` started by `docker exec` (its parent, 24446, is bash). */
const STAT =
  "24569 (sleep) S 24446 24569 24569 0 -1 4194560 1138 0 2 0 1 0 0 0 20 0 1 0 5672234 2560000 352 18446744073709551615";

describe("the kernel's TCP tables", () => {
  it("spells an endpoint the way /proc/net/tcp prints it, and as a v4-mapped tcp6 address", () => {
    expect(kernelSpellings({ address: "172.17.0.2", port: 50514 })).toEqual({
      tcp: "020011AC:C552",
      tcp6: "0000000000000000FFFF0000020011AC:C552",
    });
    expect(kernelSpellings({ address: "::ffff:172.17.0.1", port: 43239 }).tcp).toBe("010011AC:A8E7");
    expect(kernelSpellings({ address: "fd00::1", port: 80 })).toEqual({});
  });

  it("finds the established connection's inode by both of its ends, and nothing for other ends", () => {
    const local = kernelSpellings({ address: "172.17.0.2", port: 50514 }).tcp as string;
    const remote = kernelSpellings({ address: "172.17.0.1", port: 43239 }).tcp as string;
    expect(socketInode(TCP, local, remote)).toBe(15405902);
    expect(socketInode(TCP, remote, local)).toBeUndefined();
    const other = kernelSpellings({ address: "172.17.0.1", port: 43240 }).tcp as string;
    expect(socketInode(TCP, local, other)).toBeUndefined();
  });

  it("skips a listening socket (state 0A) even when its addresses match", () => {
    expect(socketInode(TCP, "0100007F:1F90", "00000000:0000")).toBeUndefined();
  });
});

describe("/proc/<pid>/stat", () => {
  it("reads the parent pid", () => {
    expect(parentPid(STAT)).toBe(24446);
  });

  it("reads it after a command name holding spaces and parentheses", () => {
    expect(parentPid("77 (my (odd) cmd) S 12 77 77 0 -1")).toBe(12);
  });
});
