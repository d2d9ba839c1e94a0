import type { IncomingMessage } from "node:http";

/** The largest request body forwarded to a provider: prompts with images fit, runaway uploads do not. */
export const defaultMaxBodyBytes = 16 * 1024 * 1024;

/** The sandbox's request body is larger than the gateway forwards. */
export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the request body is larger than ${limitBytes} bytes, the most inference.local forwards`);
  }
}

/**
 * The whole request body, up to `limitBytes`. The body is read before anything is sent on because
 * the model name in it may be rewritten. Rejects with {@link BodyTooLargeError} as soon as the
 * declared or the received length passes the limit, and with the stream's error if the sandbox
 * goes away meanwhile.
 */
export function readRequestBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limitBytes) {
      reject(new BodyTooLargeError(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      if (!req.complete) onError(new Error("the sandbox closed the request before its body ended"));
    };
    const cleanup = () => {
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
    };
    req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

/** A request body as it goes to the provider, and the model the sandbox asked for, if it named one. */
export interface RoutedBody {
  body: Buffer;
  requestedModel?: string;
}

/**
 * Puts the route's model into a JSON object body that names one (chat/completions, completions,
 * embeddings, responses, messages, ...): the route decides the model, whatever the agent asked for.
 * Any other body (not JSON, not an object, no `model` field, a non-JSON content type) passes
 * unchanged, byte for byte.
 *
 * A rewritten body is re-serialised, so numbers past 2^53 in it lose precision (`seed` aside, these
 * APIs do not use such numbers).
 */
export function withRouteModel(body: Buffer, contentType: string | undefined, modelId: string): RoutedBody {
  if (contentType !== undefined && !/json/i.test(contentType)) return { body };
  if (!/^\s*\{/.test(body.subarray(0, 64).toString("utf8"))) return { body };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { body };
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.hasOwn(parsed, "model")
  ) {
    return { body };
  }
  const object = parsed as Record<string, unknown>;
  const requested = object.model;
  object.model = modelId;
  return {
    body: Buffer.from(JSON.stringify(object), "utf8"),
    ...(typeof requested === "string" ? { requestedModel: requested } : {}),
  };
}
