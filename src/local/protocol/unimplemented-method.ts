import { Code, ConnectError } from "@connectrpc/connect";
import {
  contentTypeRegExp as connectContentType,
  contentTypeStreamRegExp as connectStreamContentType,
  createEndStreamSerialization,
  errorToJsonBytes,
} from "@connectrpc/connect/protocol-connect";
import { contentTypeRegExp as grpcContentType, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { contentTypeRegExp as grpcWebContentType } from "@connectrpc/connect/protocol-grpc-web";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

/** The error every protocol carries for a path no service of the gateway serves. */
export function unimplementedError(path: string): ConnectError {
  return new ConnectError(
    `${path.replace(/^\//, "")} is not implemented by this gateway`,
    Code.Unimplemented,
  );
}

/** Headers as node's response takes them. */
function plain(headers: Headers): Record<string, string> {
  return Object.fromEntries(headers.entries());
}

/** A Connect streaming message frame: flags, 4-byte big-endian length, payload. */
function envelope(flags: number, payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + payload.byteLength);
  frame.writeUInt8(flags, 0);
  frame.writeUInt32BE(payload.byteLength, 1);
  frame.set(payload, 5);
  return frame;
}

const endStream = createEndStreamSerialization(undefined);
const connectEndStreamFlag = 0b10;

/**
 * What the gateway's HTTP/2 server answers for a path no service serves, the way a server of the
 * caller's protocol would (connect-node's default is a bare HTTP 404, which a gRPC client reports
 * as a transport failure without the method's name):
 * - gRPC: HTTP 200, `grpc-status: 12` (UNIMPLEMENTED) and a `grpc-message` naming the method, in
 *   the trailers, as gRPC servers answer an unknown service or method;
 * - gRPC-web: the same status as a trailers-only response (in the headers);
 * - Connect: HTTP 404 with the JSON error `{"code":"unimplemented"}` for unary calls, and an
 *   end-of-stream frame carrying it for streaming ones (the Connect protocol's own mapping);
 * - anything else (a browser, curl): a plain 404.
 */
export const unimplementedMethod: NonNullable<ConnectNodeAdapterOptions["fallback"]> = (
  request,
  response,
) => {
  const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
  const error = unimplementedError(path);
  const contentType = String(request.headers["content-type"] ?? "");
  // The request body is not needed; reading it lets the client finish sending without a reset.
  request.resume();

  if (grpcWebContentType.test(contentType)) {
    response.writeHead(200, {
      "content-type": contentType,
      ...plain(setTrailerStatus(new Headers(), error)),
    });
    response.end();
    return;
  }
  if (grpcContentType.test(contentType)) {
    response.writeHead(200, { "content-type": contentType });
    response.addTrailers(plain(setTrailerStatus(new Headers(), error)));
    response.end();
    return;
  }
  if (connectStreamContentType.test(contentType)) {
    response.writeHead(200, { "content-type": contentType });
    response.end(envelope(connectEndStreamFlag, endStream.serialize({ metadata: new Headers(), error })));
    return;
  }
  if (connectContentType.test(contentType) || request.headers["connect-protocol-version"] !== undefined) {
    response.writeHead(404, { "content-type": "application/json" });
    response.end(Buffer.from(errorToJsonBytes(error, undefined)));
    return;
  }
  response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
  response.end(`${error.rawMessage}\n`);
};
