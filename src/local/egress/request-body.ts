import type { IncomingMessage } from "node:http";

/** A request body the proxy read whole, or why it would not. */
export type ReadBody =
  /** The request has no body (no Content-Length above 0, no Transfer-Encoding): nothing to read. */
  | { readonly kind: "none" }
  | { readonly kind: "body"; readonly body: Buffer }
  /** Not read to its end; the request must not be forwarded. `why` is for the gateway log. */
  | { readonly kind: "refused"; readonly why: string };

/** Whether a request carries a body at all (HTTP/1.1 framing: a positive Content-Length, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const length = req.headers["content-length"];
  return length !== undefined && Number(length) > 0;
}

/**
 * Reads a request's whole body, holding at most `limit` bytes: a Content-Length above it is refused
 * before a byte is read, and a chunked body is refused the moment it would pass it (as upstream,
 * which also refuses chunked trailers when it buffers a body). A client that goes away mid-body is
 * refused too. Node has decoded the chunked framing already, so a chunked body is measured by its
 * payload (upstream counts its size lines and CRLFs as well, which Node does not show); the caller
 * sends the body with a Content-Length of its own.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  if (!hasBody(req)) return Promise.resolve({ kind: "none" });
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (declared > limit) {
    return Promise.resolve({
      kind: "refused",
      why: `its body is ${declared} bytes, above the ${limit} bytes request_body_credential_rewrite reads`,
    });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (result: ReadBody) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        // Nothing more is kept; the caller closes the connection, which stops the upload.
        chunks.length = 0;
        req.pause();
        finish({
          kind: "refused",
          why: `its chunked body passed the ${limit} bytes request_body_credential_rewrite reads`,
        });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (req.rawTrailers.length > 0) {
        finish({ kind: "refused", why: "chunked trailers are not forwarded when a body is rewritten" });
        return;
      }
      finish({ kind: "body", body: Buffer.concat(chunks, total) });
    };
    const onGone = () =>
      finish({ kind: "refused", why: "the sandbox closed the connection before the body ended" });
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onGone);
    req.once("close", onGone);
  });
}
