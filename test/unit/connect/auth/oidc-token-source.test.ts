import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { oidcTokenSource } from "../../../../src/connect/auth/oidc-token-source.js";
import { staticTokenSource } from "../../../../src/connect/auth/static-token-source.js";
import {
  CanceledError,
  GatewayConfigError,
  UnauthenticatedError,
  UnavailableError,
} from "../../../../src/errors.js";
import { FakeIssuer } from "./fake-issuer.js";

let issuer: FakeIssuer;
let dir: string;
let file: string;

beforeEach(async () => {
  issuer = await FakeIssuer.start();
  dir = await mkdtemp(path.join(tmpdir(), "openshell-oidc-"));
  file = path.join(dir, "oidc_token.json");
});
afterEach(async () => {
  await issuer.stop();
  await rm(dir, { recursive: true, force: true });
});

const now = () => Math.floor(Date.now() / 1000);

async function writeToken(fields: Record<string, unknown>) {
  const token = {
    access_token: "old-access",
    refresh_token: "old-refresh",
    issuer: issuer.url,
    client_id: "cli",
    ...fields,
  };
  // World-readable on purpose: the rewrite must tighten it to 0600.
  await writeFile(file, JSON.stringify(token), { mode: 0o644 });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: Error) => err,
  );
}

describe("oidcTokenSource", () => {
  it("returns the stored token without refreshing when it is valid for more than 30 s", async () => {
    await writeToken({ expires_at: now() + 60 });
    const source = oidcTokenSource(file);
    expect(await source.token()).toBe("old-access");
    expect(await source.token()).toBe("old-access");
    expect(issuer.discoveryRequests).toHaveLength(0);
    expect(issuer.tokenRequests).toHaveLength(0);
  });

  it("never refreshes a token without expires_at", async () => {
    await writeToken({});
    expect(await oidcTokenSource(file).token()).toBe("old-access");
    expect(issuer.tokenRequests).toHaveLength(0);
  });

  for (const [label, offset] of [
    ["expires within 30 s", 10],
    ["has expired", -600],
  ] as const) {
    it(`refreshes when the token ${label}, and rewrites the file 0600 with the new values`, async () => {
      await writeToken({ expires_at: now() + offset, extra_field: "kept" });
      issuer.reply = {
        status: 200,
        body: {
          access_token: "new-access",
          expires_in: 3600,
          refresh_token: "new-refresh",
          token_type: "Bearer",
        },
      };
      const before = now();
      expect(await oidcTokenSource(file).token()).toBe("new-access");

      expect(issuer.discoveryRequests).toHaveLength(1);
      expect(issuer.tokenRequests).toHaveLength(1);
      const request = issuer.tokenRequests[0];
      expect(request?.contentType).toBe("application/x-www-form-urlencoded");
      expect(Object.fromEntries(request?.form ?? [])).toEqual({
        grant_type: "refresh_token",
        refresh_token: "old-refresh",
        client_id: "cli",
      });

      const saved = JSON.parse(await readFile(file, "utf8"));
      expect(saved).toMatchObject({
        access_token: "new-access",
        refresh_token: "new-refresh",
        issuer: issuer.url,
        client_id: "cli",
        extra_field: "kept",
      });
      expect(saved.expires_at).toBeGreaterThanOrEqual(before + 3600);
      expect(saved.expires_at).toBeLessThanOrEqual(now() + 3600);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readdir(dir)).toEqual(["oidc_token.json"]);
    });
  }

  it("keeps the old refresh token when the issuer does not rotate it", async () => {
    await writeToken({ expires_at: now() - 1 });
    issuer.reply = { status: 200, body: { access_token: "new-access", expires_in: 3600 } };
    await oidcTokenSource(file).token();
    expect(JSON.parse(await readFile(file, "utf8")).refresh_token).toBe("old-refresh");
  });

  it("shares one refresh between concurrent callers and caches the token endpoint", async () => {
    await writeToken({ expires_at: now() - 1 });
    // A lifetime inside the 30 s margin makes every later call refresh again.
    issuer.reply = { status: 200, body: { access_token: "new-access", expires_in: 5 }, delayMs: 100 };
    const source = oidcTokenSource(file);
    const tokens = await Promise.all([source.token(), source.token(), source.token()]);
    expect(tokens).toEqual(["new-access", "new-access", "new-access"]);
    expect(issuer.tokenRequests).toHaveLength(1);

    await source.token();
    expect(issuer.tokenRequests).toHaveLength(2);
    expect(issuer.discoveryRequests).toHaveLength(1);
  });

  it("a caller's abort ends only its own wait; the shared refresh completes for the others", async () => {
    await writeToken({ expires_at: now() - 1 });
    issuer.reply = { status: 200, body: { access_token: "new-access", expires_in: 3600 }, delayMs: 200 };
    const source = oidcTokenSource(file);
    const controller = new AbortController();
    const aborted = source.token(controller.signal);
    const patient = source.token();
    setTimeout(() => controller.abort(), 20);
    expect(await rejection(aborted)).toBeInstanceOf(CanceledError);
    expect(await patient).toBe("new-access");
    expect(issuer.tokenRequests).toHaveLength(1);

    const already = new AbortController();
    already.abort();
    expect(await rejection(source.token(already.signal))).toBeInstanceOf(CanceledError);
  });

  it("a refusing token endpoint gives UnauthenticatedError with the OAuth code but no token", async () => {
    await writeToken({ expires_at: now() - 1, refresh_token: "rt-very-secret-123" });
    issuer.reply = {
      status: 400,
      body: { error: "invalid_grant", error_description: "refresh token rt-very-secret-123 is not active" },
    };
    const err = await rejection(oidcTokenSource(file).token());
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(err.message).toContain("invalid_grant");
    expect(err.message).toContain("log in again with the openshell CLI");
    expect(err.message).not.toContain("rt-very-secret-123");
    expect(String(err)).not.toContain("rt-very-secret-123");
    expect(err.message).not.toContain("old-access");
    // The file is left alone so the CLI still sees what it wrote.
    expect(JSON.parse(await readFile(file, "utf8")).access_token).toBe("old-access");
  });

  it("an OAuth error field that is not a plain code is not quoted", async () => {
    await writeToken({ expires_at: now() - 1 });
    issuer.reply = { status: 401, body: { error: "token old-refresh rejected" } };
    const err = await rejection(oidcTokenSource(file).token());
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(err.message).not.toContain("old-refresh");
  });

  it("a failing token endpoint (5xx) is UnavailableError, and the next call tries again", async () => {
    await writeToken({ expires_at: now() - 1 });
    issuer.reply = { status: 503, body: { error: "temporarily_unavailable" } };
    const source = oidcTokenSource(file);
    expect(await rejection(source.token())).toBeInstanceOf(UnavailableError);
    issuer.reply = { status: 200, body: { access_token: "new-access", expires_in: 3600 } };
    expect(await source.token()).toBe("new-access");
  });

  it("an expired token without a refresh token gives UnauthenticatedError saying to log in", async () => {
    await writeToken({ expires_at: now() - 1, refresh_token: undefined });
    const err = await rejection(oidcTokenSource(file).token());
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(err.message).toContain("log in again with the openshell CLI");
    expect(err.message).toContain(file);
    expect(issuer.tokenRequests).toHaveLength(0);
  });

  it("a missing token file is UnauthenticatedError; a corrupt one a GatewayConfigError without its content", async () => {
    let err = await rejection(oidcTokenSource(file).token());
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(err.message).toContain(file);
    await writeFile(file, '{"access_token": "leaky-token-value"');
    err = await rejection(oidcTokenSource(file).token());
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect(err.message).toContain(file);
    expect(err.message).not.toContain("leaky-token-value");
    await writeFile(file, JSON.stringify({ access_token: 42, refresh_token: "leaky-token-value" }));
    err = await rejection(oidcTokenSource(file).token());
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect(err.message).toContain("access_token");
    expect(err.message).not.toContain("leaky-token-value");
  });
});

describe("staticTokenSource", () => {
  it("always returns its token, which does not show when printed or serialised", async () => {
    const source = staticTokenSource("fixed-secret");
    expect(await source.token()).toBe("fixed-secret");
    expect(JSON.stringify(source)).not.toContain("fixed-secret");
    expect(String(source)).not.toContain("fixed-secret");
  });
});
