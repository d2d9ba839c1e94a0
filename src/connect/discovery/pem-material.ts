import { createPrivateKey, X509Certificate } from "node:crypto";
import { GatewayConfigError } from "../../errors.js";

export type PemItem = "ca" | "cert" | "key";

const certificateBlock = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

const what: Record<PemItem, string> = {
  ca: "a CA certificate (PEM)",
  cert: "a client certificate (PEM)",
  key: "a private key (PEM)",
};

/**
 * Checks TLS material when it is found, so that an empty, truncated or wrong file is a
 * GatewayConfigError naming it at connect time, not an OpenSSL message ("PEM routines::no start
 * line") blamed on the gateway at the first call. Messages never quote the material: a key is a
 * secret.
 *
 * @param source the file it came from, or the option (`option tls.key`).
 */
export function checkPem(item: PemItem, bytes: Buffer, source: string): void {
  const problem = pemProblem(item, bytes);
  if (problem === undefined) return;
  throw new GatewayConfigError(
    `${source} ${problem}; it must hold ${what[item]}. Re-register the gateway with the openshell CLI, or give the right file.`,
    { source },
  );
}

function pemProblem(item: PemItem, bytes: Buffer): string | undefined {
  if (bytes.length === 0 || bytes.toString("utf8").trim() === "") return "is empty";
  if (item === "key") {
    try {
      createPrivateKey(bytes);
      return undefined;
    } catch (err) {
      return `holds no private key that can be read (${reason(err)})`;
    }
  }
  const blocks = bytes.toString("utf8").match(certificateBlock) ?? [];
  if (blocks.length === 0) return "holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)";
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `holds a certificate that cannot be read (${reason(err)})`;
    }
  }
  return undefined;
}

/** OpenSSL's reason ("bad end line"), without the library's error-code prefix. */
function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^error:[0-9A-F]+:/, "");
}
