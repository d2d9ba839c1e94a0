import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type PlaceholderResolver,
  type Resolution,
  rewriteCredentials,
} from "../../../../src/local/credentials/credential-rewrite.js";
import { placeholderFor } from "../../../../src/local/credentials/placeholders.js";
import type { OutboundRequest, RewriteOutcome } from "../../../../src/local/egress/request-rewrite.js";

/**
 * The credential rewriter on its own: requests as the egress proxy hands them over, a resolver
 * standing for the sandbox's bound credentials. What a user sees: what goes upstream, or the
 * refusal the sandbox reads.
 */

const SECRET = "ghp_REALsecretVALUE1234567890";
const P = placeholderFor("GITHUB_TOKEN", 42n);

function request(pathAndQuery: string, headers: string[] = [], tls = false): OutboundRequest {
  return {
    host: "api.github.com",
    port: 443,
    method: "GET",
    pathAndQuery,
    rawHeaders: ["host", "api.github.com", ...headers],
    tls,
    decision: { allowed: true, audited: false, reason: "rule github" },
  };
}

/** Resolves GITHUB_TOKEN at revision 42 only; `mismatch` for any key named in `elsewhere`. */
function resolver(elsewhere: string[] = []): PlaceholderResolver {
  return (p) => {
    if (elsewhere.includes(p.key)) return { kind: "mismatch" };
    if (p.form === "revisioned" && p.key === "GITHUB_TOKEN" && p.revision === 42n) {
      return { kind: "value", value: SECRET };
    }
    return { kind: "unavailable", why: `nothing holds ${p.key}` };
  };
}

function rewrite(req: OutboundRequest, r: PlaceholderResolver = resolver()): RewriteOutcome {
  return rewriteCredentials(req, () => r);
}

function header(outcome: RewriteOutcome, name: string): string | undefined {
  if (outcome.kind !== "rewritten") return undefined;
  const i = outcome.rawHeaders.findIndex((h, n) => n % 2 === 0 && h.toLowerCase() === name);
  return i < 0 ? undefined : outcome.rawHeaders[i + 1];
}

describe("credential placeholders in requests", () => {
  it("replaces a bearer token, a whole header value and Basic credentials", () => {
    const out = rewrite(
      request("/user", ["Authorization", `Bearer ${P}`, "X-Api-Key", P, "Proxy-Note", "plain"]),
    );
    expect(header(out, "authorization")).toBe(`Bearer ${SECRET}`);
    expect(header(out, "x-api-key")).toBe(SECRET);
    expect(header(out, "proxy-note")).toBe("plain");

    const basic = rewrite(
      request("/", ["authorization", `Basic ${Buffer.from(`x-access-token:${P}`).toString("base64")}`]),
    );
    const decoded = Buffer.from((header(basic, "authorization") ?? "").slice(6), "base64").toString();
    expect(decoded).toBe(`x-access-token:${SECRET}`);
  });

  it("replaces query values and path segments, percent-encoding the value for where it goes", () => {
    const special = "a b/c?d";
    const r: PlaceholderResolver = () => ({ kind: "value", value: special });
    const q = rewrite(request(`/search?q=1&token=${encodeURIComponent(P)}&x`), r);
    expect(q).toMatchObject({ kind: "rewritten", pathAndQuery: "/search?q=1&token=a%20b%2Fc%3Fd&x" });

    const path = rewrite(request(`/bot${P}/getMe?x=1`));
    expect(path).toMatchObject({ kind: "rewritten", pathAndQuery: `/bot${SECRET}/getMe?x=1` });
    // A value that would reshape the path is never put in one.
    const unsafe = rewrite(request(`/bot${P}/getMe`), r);
    expect(unsafe).toMatchObject({ kind: "refused", status: 500 });
  });

  it("leaves a request without placeholders unchanged without asking for a resolver", () => {
    let asked = false;
    const out = rewriteCredentials(
      request("/repos?q=openshell", ["authorization", "Bearer ghp_plain"]),
      () => {
        asked = true;
        return resolver();
      },
    );
    expect(out).toEqual({ kind: "unchanged" });
    expect(asked).toBe(false);
  });

  it("refuses 403 credential_endpoint_mismatch naming the key and host for a credential bound elsewhere", () => {
    const out = rewrite(request("/", ["authorization", `Bearer ${P}`]), resolver(["GITHUB_TOKEN"]));
    expect(out).toMatchObject({ kind: "refused", status: 403, code: "credential_endpoint_mismatch" });
    if (out.kind === "refused") {
      expect(out.message).toContain("GITHUB_TOKEN");
      expect(out.message).toContain("api.github.com:443");
    }
  });

  it("refuses 500 with upstream's codes for a placeholder nothing resolves (plain HTTP and terminated TLS)", () => {
    const unknown = placeholderFor("NOPE", 42n);
    const plain = rewrite(request("/", ["authorization", `Bearer ${unknown}`]));
    expect(plain).toMatchObject({ kind: "refused", status: 500, code: "credential_injection_failed" });
    const tls = rewrite(request("/", ["authorization", `Bearer ${unknown}`], true));
    expect(tls).toMatchObject({ kind: "refused", status: 500, code: "credential_unavailable" });
    if (tls.kind === "refused") expect(tls.message).toContain("NOPE");
    // Malformed or left where nothing rewrites it: fail closed rather than send the marker upstream.
    expect(rewrite(request("/", ["cookie", `a=${P}; b=1`]))).toMatchObject({ status: 500 });
    expect(rewrite(request(`/x?${P}`))).toMatchObject({ status: 500 });
    expect(rewrite(request("/", ["x-key", "openshell:resolve:env:"]))).toMatchObject({ status: 500 });
    expect(rewrite(request(`/${encodeURIComponent("openshell:resolve:env:v1_A%")}`))).toMatchObject({
      kind: "refused",
    });
  });

  it("refuses a value that could split the request", () => {
    const r: PlaceholderResolver = () => ({ kind: "value", value: "ok\r\nX-Evil: 1" });
    expect(rewrite(request("/", ["authorization", `Bearer ${P}`]), r)).toMatchObject({ status: 500 });
  });

  it("matches bindings against the path with placeholders redacted", () => {
    let seenPath = "";
    rewriteCredentials(request(`/bot${P}/getMe?token=${P}`), (path) => {
      seenPath = path;
      return resolver();
    });
    expect(seenPath).toBe("/bot[CREDENTIAL]/getMe");
  });
});

/** Secrets that cannot be mistaken for anything else in a message. */
const secretArb = fc.stringMatching(/^[A-Za-z0-9+/=._~-]{6,40}$/).map((s) => `S3CR3T${s}`);
const keyArb = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/);
const revisionArb = fc.bigInt({ min: 1n, max: 2n ** 64n - 1n });
const resolutionArb = (secret: string): fc.Arbitrary<Resolution> =>
  fc.constantFrom<Resolution>(
    { kind: "value", value: secret },
    { kind: "mismatch" },
    { kind: "unavailable", why: "not attached" },
  );
/** Text without any placeholder marker: what most requests are. */
const plainArb = fc.string({ maxLength: 40 }).filter((s) => !/openshell|OPENSHELL|%/i.test(s));

describe("credential rewriting, properties", () => {
  it("never puts a secret in a refusal's message", () => {
    fc.assert(
      fc.property(
        secretArb,
        keyArb,
        revisionArb,
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        fc.nat(),
        (secret, key, revision, where, tls, pick) => {
          const placeholder = placeholderFor(key, revision);
          const outcomes = [
            { kind: "value", value: secret },
            { kind: "mismatch" },
            { kind: "unavailable", why: "not attached" },
          ] as const;
          const r: PlaceholderResolver = () => outcomes[pick % 3] as Resolution;
          const path = where[0] ? `/a/${placeholder}/b` : "/a";
          const query = where[1] ? `?k=${placeholder}` : "";
          const headers = where[2] ? ["authorization", `Bearer ${placeholder}`] : ["x", placeholder];
          const out = rewriteCredentials(request(path + query, headers, tls), () => r);
          if (out.kind === "refused") {
            expect(out.message).not.toContain(secret);
            expect(out.code).not.toContain(secret);
          } else {
            expect(out.kind).toBe("rewritten");
          }
        },
      ),
    );
  });

  it("leaves every request without placeholders unchanged", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{0,12}$/), { maxLength: 5 }),
        fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z-]{0,10}$/), plainArb), { maxLength: 6 }),
        (segments, headers) => {
          const out = rewriteCredentials(request(`/${segments.join("/")}`, headers.flat()), () => {
            throw new Error("a resolver was asked for a request without placeholders");
          });
          expect(out).toEqual({ kind: "unchanged" });
        },
      ),
    );
  });

  it("sends exactly the value where each resolvable placeholder was", () => {
    fc.assert(
      fc.property(secretArb, keyArb, revisionArb, (secret, key, revision) => {
        const placeholder = placeholderFor(key, revision);
        const r: PlaceholderResolver = (p) =>
          p.form === "revisioned" && p.key === key && p.revision === revision
            ? { kind: "value", value: secret }
            : { kind: "unavailable", why: "no" };
        const basic = Buffer.from(`user:${placeholder}`).toString("base64");
        const out = rewriteCredentials(
          request(`/v1?key=${placeholder}`, ["authorization", `Basic ${basic}`, "x-api-key", placeholder]),
          () => r,
        );
        expect(out.kind).toBe("rewritten");
        if (out.kind !== "rewritten") return;
        expect(new URL(`http://h${out.pathAndQuery}`).searchParams.get("key")).toBe(secret);
        expect(header(out, "x-api-key")).toBe(secret);
        const auth = header(out, "authorization") ?? "";
        expect(Buffer.from(auth.slice(6), "base64").toString()).toBe(`user:${secret}`);
      }),
    );
  });

  it("rewrites when the placeholder resolves to a value and refuses otherwise, 403 or 500 by why", () => {
    fc.assert(
      fc.property(
        secretArb.chain((secret) => fc.tuple(fc.constant(secret), resolutionArb(secret))),
        keyArb,
        revisionArb,
        ([, resolution], key, revision) => {
          const placeholder = placeholderFor(key, revision);
          const out = rewriteCredentials(
            request("/", ["authorization", `Bearer ${placeholder}`]),
            () => () => resolution,
          );
          if (resolution.kind === "value") expect(out.kind).toBe("rewritten");
          if (resolution.kind === "mismatch") expect(out).toMatchObject({ kind: "refused", status: 403 });
          if (resolution.kind === "unavailable") expect(out).toMatchObject({ kind: "refused", status: 500 });
        },
      ),
    );
  });
});
