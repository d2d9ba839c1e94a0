import type { IncomingMessage } from "node:http";
import { ServiceProblem } from "./wire-errors.js";

function isJsonContentType(header: string | undefined): boolean {
  const type = header?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json";
}

function tooLarge(limit: number): ServiceProblem {
  return new ServiceProblem(
    413,
    "resource_exhausted",
    `the request body is larger than ${limit} bytes, the service's limit (serveAdapter's maxBodyBytes)`,
    undefined,
    // The rest of the body is not read, so the connection cannot carry another request.
    { Connection: "close" },
  );
}

/**
 * Reads a request's JSON object body: 415 unless `Content-Type: application/json`, 413 beyond
 * `limit` bytes (by Content-Length before reading, or while reading), 400 for anything that is not
 * a JSON object. Bytes are counted as they come, so a client that lies about its length is cut off.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  if (!isJsonContentType(req.headers["content-type"])) {
    throw new ServiceProblem(
      415,
      "invalid_argument",
      "the request body must be JSON: send Content-Type: application/json",
    );
  }
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ServiceProblem(400, "invalid_argument", "the request body is not valid JSON", "body");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ServiceProblem(400, "invalid_argument", "the request body must be a JSON object", "body");
  }
  return value as Record<string, unknown>;
}
