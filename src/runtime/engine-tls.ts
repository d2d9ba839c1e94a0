import { readFile } from "node:fs/promises";
import { TlsError } from "../errors.js";
import type { EngineEndpoint } from "./engine-endpoint.js";

/** Node TLS options for an engine endpoint (`https.request`, `tls.connect`, dockerode's agent). */
export interface EngineTlsOptions {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** False when the endpoint's `verify` is off (DOCKER_CERT_PATH without DOCKER_TLS_VERIFY). */
  rejectUnauthorized: boolean;
}

const tlsFileRoles = { caFile: "CA certificate", certFile: "client certificate", keyFile: "client key" };

/**
 * Reads an endpoint's TLS files; undefined when the endpoint has no TLS. Errors name the file, never
 * its contents.
 *
 * @throws TlsError when a file cannot be read.
 */
export async function tlsOptionsFor(
  endpoint: EngineEndpoint,
  readBytes: (file: string) => Promise<Buffer> = (file) => readFile(file),
): Promise<EngineTlsOptions | undefined> {
  if (endpoint.kind !== "tcp" || endpoint.tls === undefined) return undefined;
  const { tls } = endpoint;
  const read = async (field: keyof typeof tlsFileRoles): Promise<Buffer> => {
    const file = tls[field];
    try {
      return await readBytes(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "it does not exist" : code === "EACCES" ? "permission denied" : code;
      throw new TlsError(
        `cannot read the TLS ${tlsFileRoles[field]} ${file} (${why ?? (err as Error).message}); ` +
          "DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem",
        { cause: err },
      );
    }
  };
  // One after another, so with several files missing the error always names the first (ca, cert, key).
  const ca = await read("caFile");
  const cert = await read("certFile");
  const key = await read("keyFile");
  return { ca, cert, key, rejectUnauthorized: tls.verify };
}
