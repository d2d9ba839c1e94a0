import { isIPv4 } from "node:net";
import { endianness } from "node:os";

/**
 * Finding one TCP connection in a network namespace's socket tables (`/proc/<pid>/net/tcp` and
 * `tcp6`, whose lines read `sl local rem st ... uid timeout inode ...`). Addresses there are the
 * kernel's 32-bit words printed in hex in the host's byte order, ports in hex; state 01 is
 * ESTABLISHED. An IPv4 peer of an IPv6 socket shows as `::ffff:a.b.c.d` in tcp6.
 */

/** One side of a TCP connection. */
export interface Endpoint {
  address: string;
  port: number;
}

const ESTABLISHED = "01";

/** The bytes of an IPv4 address as the kernel prints one 32-bit word. */
function word(bytes: readonly number[]): string {
  const ordered = endianness() === "LE" ? [...bytes].reverse() : bytes;
  return ordered
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

function ipv4Bytes(address: string): number[] {
  return address.split(".").map((part) => Number(part));
}

/** The spellings `endpoint` may have in tcp (IPv4 sockets) and tcp6 (IPv6 ones, v4-mapped). */
export function kernelSpellings(endpoint: Endpoint): { tcp?: string; tcp6?: string } {
  const port = endpoint.port.toString(16).padStart(4, "0").toUpperCase();
  const address = endpoint.address.replace(/^::ffff:/i, "");
  if (!isIPv4(address)) return {};
  const bytes = ipv4Bytes(address);
  const mapped = `${word([0, 0, 0, 0])}${word([0, 0, 0, 0])}${word([0, 0, 0xff, 0xff])}${word(bytes)}`;
  return { tcp: `${word(bytes)}:${port}`, tcp6: `${mapped}:${port}` };
}

/**
 * The inode of the established socket whose local side is `local` and remote side `remote` in one
 * socket table's text; undefined when there is none (or its inode is 0: a socket being torn down).
 */
export function socketInode(table: string, local: string, remote: string): number | undefined {
  // The table has a line per socket in the namespace (TIME_WAIT ones for a minute): look for the
  // pair in the text first and split only the lines that hold it.
  const needle = ` ${local} ${remote} ${ESTABLISHED} `;
  for (let at = table.indexOf(needle); at >= 0; at = table.indexOf(needle, at + 1)) {
    const end = table.indexOf("\n", at);
    const line = table.slice(table.lastIndexOf("\n", at) + 1, end < 0 ? undefined : end);
    const fields = line.trim().split(/\s+/);
    // sl, local, rem, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode
    if (fields.length < 10 || fields[1] !== local || fields[2] !== remote) continue;
    if (fields[3] !== ESTABLISHED) continue;
    const inode = Number(fields[9]);
    if (Number.isSafeInteger(inode) && inode > 0) return inode;
  }
  return undefined;
}

/** Whether `address` is one this module can look for (IPv4, or IPv4-mapped IPv6). */
export function isSupportedAddress(address: string): boolean {
  return isIPv4(address.replace(/^::ffff:/i, ""));
}
