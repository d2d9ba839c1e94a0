import { randomUUID } from "node:crypto";
import { open, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { GatewayConfigError, UnauthenticatedError } from "../../errors.js";

/** The contents of a gateway's `oidc_token.json`, as the openshell CLI writes it. */
export interface OidcTokenRecord {
  accessToken: string;
  refreshToken: string | undefined;
  /** Unix seconds; undefined when the issuer gave no lifetime. */
  expiresAt: number | undefined;
  issuer: string | undefined;
  clientId: string | undefined;
  /** Every field of the file, so a rewrite keeps what other tools stored next to ours. */
  fields: Record<string, unknown>;
}

const tokenFileSchema = z.looseObject({
  // Sent as a header value: visible ASCII only (a JWT or opaque token always is).
  access_token: z.string().regex(/^[\x21-\x7E]+$/),
  refresh_token: z.string().nullish(),
  expires_at: z.number().nullish(),
  issuer: z.string().nullish(),
  client_id: z.string().nullish(),
});

/**
 * Reads a token file. A missing file means the user is not logged in; a malformed one is a
 * configuration error. Messages name fields, never values.
 */
export async function readOidcTokenFile(file: string): Promise<OidcTokenRecord> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new UnauthenticatedError(`no OIDC token at ${file}: log in with the openshell CLI.`, {
        cause: err,
      });
    }
    throw new GatewayConfigError(`cannot read ${file}: ${(err as Error).message}`, {
      source: file,
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the text, which here is a token: keep it out.
    throw new GatewayConfigError(`${file} is not valid JSON; log in again with the openshell CLI.`, {
      source: file,
    });
  }
  const parsed = tokenFileSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.map(String).join(".") || "(root)"))];
    throw new GatewayConfigError(
      `${file} is not a valid OIDC token file (bad or missing: ${fields.join(", ")}); log in again with the openshell CLI.`,
      { source: file },
    );
  }
  const t = parsed.data;
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token || undefined,
    expiresAt: t.expires_at ?? undefined,
    issuer: t.issuer || undefined,
    clientId: t.client_id || undefined,
    fields: t,
  };
}

/**
 * Replaces the token file so that a reader (this process or the CLI) sees the old file or the new
 * one, never a torn write: temp file in the same folder (same file system, so rename is atomic),
 * owner-only from creation, flushed to disk before the rename.
 */
export async function writeOidcTokenFile(file: string, record: OidcTokenRecord): Promise<void> {
  const { expires_at: _oldExpiry, refresh_token: _oldRefresh, ...kept } = record.fields;
  const json: Record<string, unknown> = {
    ...kept,
    access_token: record.accessToken,
    ...(record.refreshToken !== undefined && { refresh_token: record.refreshToken }),
    ...(record.expiresAt !== undefined && { expires_at: record.expiresAt }),
    ...(record.issuer !== undefined && { issuer: record.issuer }),
    ...(record.clientId !== undefined && { client_id: record.clientId }),
  };
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomUUID()}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    try {
      await handle.writeFile(`${JSON.stringify(json, null, 2)}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncFolder(dir);
}

/** Makes the rename itself durable; some platforms (Windows) cannot open folders, which is fine. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only: the new file is already complete and in place.
  }
}
