import { Transform, type TransformCallback } from "node:stream";

/**
 * Credential values shorter than this are not looked for in what goes back to the sandbox: masking
 * every occurrence of a four-letter test key would garble model output and protect nothing.
 */
export const minSecretLength = 8;

/** The values of a provider's credentials worth keeping from the sandbox, longest first. */
export function secretsOf(credentials: Record<string, string>): string[] {
  const values = Object.values(credentials)
    .map((v) => v.trim())
    .filter((v) => v.length >= minSecretLength);
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

/** True when `text` contains any of `secrets`. */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => text.includes(secret));
}

/** `text` with every occurrence of each secret replaced by `REDACTED`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("REDACTED");
  return out;
}

/**
 * Masks every occurrence of the secrets in a byte stream with `*` of the same length, so a
 * `content-length` stays true. Chunks pass on as they come: only a chunk's tail that could be the
 * start of a secret split across chunks is held back until the next chunk decides it, which for
 * server-sent events (chunks end in a blank line) is nothing at all.
 */
export class SecretMaskingStream extends Transform {
  private readonly secrets: Buffer[];
  private held: Buffer = Buffer.alloc(0);

  constructor(secrets: readonly string[]) {
    super();
    this.secrets = secrets.map((s) => Buffer.from(s, "utf8"));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : Buffer.from(chunk);
    this.mask(data);
    const keep = this.partialSecretAtEnd(data);
    this.held = Buffer.from(data.subarray(data.length - keep));
    if (data.length > keep) this.push(data.subarray(0, data.length - keep));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.held.length > 0) this.push(this.held);
    done();
  }

  private mask(data: Buffer): void {
    for (const secret of this.secrets) {
      for (let at = data.indexOf(secret); at >= 0; at = data.indexOf(secret, at + secret.length)) {
        data.fill(0x2a, at, at + secret.length);
      }
    }
  }

  /** The length of the longest tail of `data` that is a proper prefix of some secret. */
  private partialSecretAtEnd(data: Buffer): number {
    let longest = 0;
    for (const secret of this.secrets) {
      for (let n = Math.min(secret.length - 1, data.length); n > longest; n--) {
        if (data.subarray(data.length - n).equals(secret.subarray(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
