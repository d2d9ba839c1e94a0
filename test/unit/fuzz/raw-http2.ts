import { connect, constants, type IncomingHttpHeaders } from "node:http2";

/** A gRPC length-prefixed message: compressed flag, big-endian length (as declared), payload. */
export function envelope(flags: number, payload: Uint8Array, declared = payload.byteLength): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(declared, 1);
  return Buffer.concat([head, payload]);
}

export interface RawAnswer {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  /** How the stream ended: "closed" normally, or the reset code. */
  ended: string;
}

/**
 * One HTTP/2 POST on a connection of its own, answer and trailers read; rejects when no answer has
 * ended the stream within `boundMs` (a hang).
 */
export function sendRaw(
  port: number,
  headers: Record<string, string>,
  body: Buffer,
  boundMs: number,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    const answer: RawAnswer = { status: undefined, headers: {}, trailers: {}, ended: "" };
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no answer within ${boundMs} ms to ${JSON.stringify(headers).slice(0, 300)}`));
    }, boundMs);
    const stream = session.request({ ":method": "POST", ...headers });
    stream.on("error", () => {});
    stream.on("response", (h) => {
      answer.headers = h;
      answer.status = Number(h[":status"]);
    });
    stream.on("trailers", (t) => {
      answer.trailers = t;
    });
    stream.on("data", () => {});
    stream.on("close", () => {
      clearTimeout(timer);
      answer.ended = stream.rstCode === constants.NGHTTP2_NO_ERROR ? "closed" : `reset ${stream.rstCode}`;
      session.close();
      resolve(answer);
    });
    stream.end(body);
  });
}
