import { type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/**
 * The proxy's own answers: one plain-text line naming the proxy and saying why, so a user reading
 * curl's output in the sandbox knows it was the egress policy and not the remote host. Nothing of
 * the request is echoed (its headers may carry credentials).
 */

export const deniedHeader = "x-openshell-egress";

export function proxyMessage(message: string): string {
  return `openshell egress proxy: ${message}\n`;
}

/** Answers a plain request (keep-alive stays as the client asked). */
export function respond(res: ServerResponse, status: number, message: string, denied = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = proxyMessage(message);
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...(denied ? { [deniedHeader]: "denied" } : {}),
  });
  res.end(body);
}

/** Answers on a raw socket (CONNECT, upgrade) and closes it once written. */
export function respondRaw(socket: Duplex, status: number, message: string, denied = false): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = proxyMessage(message);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "content-type: text/plain; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      (denied ? `${deniedHeader}: denied\r\n` : "") +
      "connection: close\r\n\r\n" +
      body,
  );
}

/** What a failed upstream dial is answered with: 504 for a timeout, else 502 with the error's code. */
export function upstreamFailure(
  target: string,
  error: unknown,
): { status: number; message: string; outcome: string } {
  const code =
    (error as NodeJS.ErrnoException | undefined)?.code ?? (error as Error | undefined)?.message ?? "error";
  if (code === "ETIMEDOUT" || error instanceof DialTimeoutError) {
    return { status: 504, message: `timed out connecting to ${target}`, outcome: "connect timed out" };
  }
  return { status: 502, message: `cannot reach ${target}: ${code}`, outcome: `upstream failed: ${code}` };
}

export class DialTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(ms: number) {
    super(`connect timed out after ${ms} ms`);
  }
}
