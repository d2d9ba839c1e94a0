import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";

/**
 * TLS 1.3 alerts for rejected client certificates. Node's TLS server accepts every client
 * certificate inside OpenSSL and then, when it fails verification, just drops the socket, so the
 * client cannot tell "expired" from "wrong CA" from a network error. A real gateway (rustls) sends
 * the alert that says why; this module builds that alert, encrypted with the server's application
 * traffic secret (from the `keylog` event), so the front door can deliver it before the close.
 *
 * Only TLS_AES_128_GCM_SHA256 is handled: the test gateway offers no other TLS 1.3 suite.
 */

export const tlsCipherSuite = "TLS_AES_128_GCM_SHA256";

/** RFC 8446 §6.2 alert descriptions used here. */
const alerts = { badCertificate: 42, certificateExpired: 45, unknownCa: 48 } as const;

/** Maps Node's `authorizationError` (an OpenSSL X509_V_ERR name) to the alert rustls would send. */
export function alertFor(authorizationError: string): number {
  if (authorizationError === "CERT_HAS_EXPIRED") return alerts.certificateExpired;
  if (
    authorizationError === "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" ||
    authorizationError === "UNABLE_TO_GET_ISSUER_CERT" ||
    authorizationError === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" ||
    authorizationError === "SELF_SIGNED_CERT_IN_CHAIN" ||
    authorizationError === "DEPTH_ZERO_SELF_SIGNED_CERT"
  ) {
    return alerts.unknownCa;
  }
  return alerts.badCertificate;
}

/** HKDF-Expand-Label (RFC 8446 §7.1) with SHA-256 and an empty context; lengths here fit one block. */
function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, fullLabel.length]),
    fullLabel,
    Buffer.from([0]),
  ]);
  return createHmac("sha256", secret)
    .update(Buffer.concat([info, Buffer.from([1])]))
    .digest()
    .subarray(0, length);
}

interface TrafficKey {
  key: Buffer;
  iv: Buffer;
}

function trafficKey(secretHex: string): TrafficKey {
  const secret = Buffer.from(secretHex, "hex");
  return { key: expandLabel(secret, "key", 16), iv: expandLabel(secret, "iv", 12) };
}

function nonce(iv: Buffer, seq: number): Buffer {
  const out = Buffer.from(iv);
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  for (let i = 0; i < 8; i++) out[4 + i] = (out[4 + i] ?? 0) ^ (seqBytes[i] ?? 0);
  return out;
}

/** Splits a byte stream into TLS records (header + body); a trailing partial record is ignored. */
function records(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 5 <= stream.length; ) {
    const length = stream.readUInt16BE(at + 3);
    if (at + 5 + length > stream.length) break;
    out.push(stream.subarray(at, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

/**
 * How many records the server already sent under this application secret (its session tickets):
 * the alert's sequence number. Records under the handshake secret fail authentication and are skipped.
 */
export function recordsSentUnder(serverStream: Buffer, secretHex: string): number {
  const { key, iv } = trafficKey(secretHex);
  let seq = 0;
  for (const record of records(serverStream)) {
    if (record[0] !== 0x17 || record.length < 5 + 17) continue;
    const body = record.subarray(5);
    const decipher = createDecipheriv("aes-128-gcm", key, nonce(iv, seq));
    decipher.setAAD(record.subarray(0, 5));
    decipher.setAuthTag(body.subarray(body.length - 16));
    decipher.update(body.subarray(0, body.length - 16));
    try {
      decipher.final();
      seq++;
    } catch {
      // Not under this key: a handshake record.
    }
  }
  return seq;
}

/** One encrypted TLS 1.3 record carrying a fatal alert. */
export function encryptedAlert(secretHex: string, seq: number, description: number): Buffer {
  const { key, iv } = trafficKey(secretHex);
  // TLSInnerPlaintext: alert level (fatal), description, then the real content type (alert).
  const inner = Buffer.from([2, description, 0x15]);
  const header = Buffer.from([0x17, 0x03, 0x03, 0, inner.length + 16]);
  const cipher = createCipheriv("aes-128-gcm", key, nonce(iv, seq));
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([header, body]);
}
