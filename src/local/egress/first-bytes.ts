import type { Duplex } from "node:stream";

/**
 * Telling what a sandbox speaks inside a CONNECT tunnel from the first bytes it sends, as the
 * upstream supervisor does: a TLS ClientHello is terminated, HTTP is parsed, anything else relayed.
 */

/**
 * Whether `bytes` begin a TLS ClientHello: a handshake record (type 22) of TLS 1.0-1.3 (record
 * versions 3.1-3.4, 3.0 for the oldest clients) whose first message is a ClientHello (type 1).
 * Only the bytes present are checked, so one byte already says "maybe".
 */
export function isTlsClientHello(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes[0] !== 0x16) return false;
  if (bytes.length > 1 && bytes[1] !== 0x03) return false;
  if (bytes.length > 2 && (bytes[2] as number) > 0x04) return false;
  return bytes.length <= 5 || bytes[5] === 0x01;
}

/** Request methods HTTP/1.x clients send (RFC 9110 and WebDAV's most common), then a space. */
const httpRequestStart =
  /^(?:GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|TRACE|CONNECT|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK|REPORT|SEARCH) /;

/** Whether `bytes` begin an HTTP/1.x request line (method and a space). */
export function isHttpRequestStart(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 10)).toString("latin1");
  return httpRequestStart.test(head);
}

/** Who spoke first on a tunnel, and what they said (already put back for the next reader). */
export type FirstWord =
  | { from: "client" | "upstream"; bytes: Buffer }
  /** One side ended or failed before anyone sent a byte. */
  | { from: "none" };

/**
 * Waits for the first bytes from either side, leaves both paused with those bytes unread (put back
 * with unshift), and says who sent them. `upstream` may be undefined (then only the client is
 * waited for).
 */
export function firstWord(client: Duplex, upstream: Duplex | undefined): Promise<FirstWord> {
  return new Promise((resolve) => {
    const sides = upstream === undefined ? [client] : [client, upstream];
    const cleanups: (() => void)[] = [];
    let settled = false;
    const settle = (word: FirstWord) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      for (const side of sides) side.pause();
      resolve(word);
    };
    for (const side of sides) {
      const from = side === client ? "client" : "upstream";
      const onData = (bytes: Buffer) => {
        side.pause();
        side.unshift(bytes);
        settle({ from, bytes });
      };
      const onGone = () => settle({ from: "none" });
      side.on("data", onData);
      side.once("end", onGone);
      side.once("close", onGone);
      cleanups.push(() => {
        side.off("data", onData);
        side.off("end", onGone);
        side.off("close", onGone);
      });
    }
  });
}
