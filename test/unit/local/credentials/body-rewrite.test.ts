import { describe, expect, it } from "vitest";
import { rewriteBody, type TextReplacer } from "../../../../src/local/credentials/body-rewrite.js";
import {
  type PlaceholderResolver,
  rewriteCredentials,
} from "../../../../src/local/credentials/credential-rewrite.js";
import { placeholderFor } from "../../../../src/local/credentials/placeholders.js";
import type { OutboundRequest } from "../../../../src/local/egress/request-rewrite.js";

/**
 * Request bodies under request_body_credential_rewrite, as upstream's supervisor treats them
 * (openshell-supervisor-network l7/rest.rs rewrite_buffered_body): what a body becomes, or why it
 * is not sent. Then the same through rewriteCredentials, where a placeholder that does not resolve
 * gets the answer a header's would.
 */

const SECRET = "xoxb-REAL-slack-token";
const P = placeholderFor("SLACK_TOKEN", 7n);

/** Replaces P by SECRET, as the rewriter's replacer does for a resolving placeholder. */
const replace: TextReplacer = (text) => text.split(P).join(SECRET);
const text = (out: ReturnType<typeof rewriteBody>) =>
  out.kind === "rewritten" ? out.body.toString() : out.kind;

describe("rewriteBody", () => {
  it("replaces a placeholder anywhere in a JSON body, verbatim", () => {
    const body = Buffer.from(JSON.stringify({ token: P, note: `prefix-${P}`, n: 1 }));
    const out = rewriteBody(body, "application/json; charset=utf-8", replace);
    expect(JSON.parse(text(out))).toEqual({ token: SECRET, note: `prefix-${SECRET}`, n: 1 });
    // No JSON escaping: a value with a quote is put in as it is (upstream does the same).
    const quoting = rewriteBody(Buffer.from(`{"t":"${P}"}`), "application/json", (t) =>
      t.split(P).join('a"b'),
    );
    expect(text(quoting)).toBe('{"t":"a"b"}');
  });

  it("rewrites text/* bodies, and leaves a body without a marker alone", () => {
    expect(text(rewriteBody(Buffer.from(`token ${P}\n`), "text/plain", replace))).toBe(`token ${SECRET}\n`);
    expect(rewriteBody(Buffer.from('{"a":1}'), "application/json", replace)).toEqual({ kind: "unchanged" });
    expect(rewriteBody(Buffer.alloc(0), "application/json", replace)).toEqual({ kind: "unchanged" });
  });

  it("replaces placeholders in form values, decoded and encoded again", () => {
    const body = `token=${encodeURIComponent(P)}&note=hello+world&flag`;
    expect(text(rewriteBody(Buffer.from(body), "application/x-www-form-urlencoded", replace))).toBe(
      `token=${SECRET}&note=hello+world&flag`,
    );
    const spaced = rewriteBody(Buffer.from(`t=${P}`), "application/x-www-form-urlencoded", () => "a b&c");
    expect(text(spaced)).toBe("t=a+b%26c");
  });

  it("does not send a marker it cannot replace", () => {
    const form = "application/x-www-form-urlencoded";
    expect(rewriteBody(Buffer.from(`${P}=x`), form, replace)).toMatchObject({
      kind: "dropped",
      why: expect.stringMatching(/form field name/),
    });
    // Percent-encoded in JSON: upstream replaces raw tokens only, and refuses to send the rest.
    expect(
      rewriteBody(Buffer.from(`{"t":"${encodeURIComponent(P)}"}`), "application/json", replace),
    ).toMatchObject({ kind: "dropped", why: expect.stringMatching(/percent-encoded/) });
    expect(rewriteBody(Buffer.from(P), "text/plain", (t) => `${t} ${P}`)).toMatchObject({
      kind: "dropped",
      why: expect.stringMatching(/still holds/),
    });
  });

  it("sends other content types as they are unless they hold a marker", () => {
    expect(rewriteBody(Buffer.from(P), "application/octet-stream", replace)).toMatchObject({
      kind: "dropped",
      why: expect.stringMatching(/application\/octet-stream\) holds a credential placeholder/),
    });
    expect(rewriteBody(Buffer.from(P), undefined, replace)).toMatchObject({
      kind: "dropped",
      why: expect.stringMatching(/no Content-Type/),
    });
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x01]);
    expect(rewriteBody(binary, "application/octet-stream", replace)).toEqual({ kind: "unchanged" });
  });

  it("refuses a rewritable body that is not UTF-8, marker or not (upstream requires text)", () => {
    expect(rewriteBody(Buffer.from([0x7b, 0xff, 0x7d]), "application/json", replace)).toMatchObject({
      kind: "dropped",
      why: expect.stringMatching(/not UTF-8/),
    });
  });
});

function post(body: string, contentType: string, tls = false): OutboundRequest {
  return {
    host: "slack.com",
    port: 443,
    method: "POST",
    pathAndQuery: "/api/chat.postMessage",
    rawHeaders: ["Host", "slack.com", "Content-Type", contentType, "Content-Length", String(body.length)],
    tls,
    decision: { allowed: true, audited: false, reason: "rule slack", requestBodyCredentialRewrite: true },
    body: Buffer.from(body),
  };
}

const resolver =
  (kind: "value" | "mismatch" | "unavailable"): PlaceholderResolver =>
  () =>
    kind === "value"
      ? { kind, value: SECRET }
      : kind === "mismatch"
        ? { kind }
        : { kind, why: "nothing holds SLACK_TOKEN" };

describe("rewriteCredentials with a body", () => {
  it("sends the rewritten body, the head untouched", () => {
    const out = rewriteCredentials(post(`{"token":"${P}"}`, "application/json"), () => resolver("value"));
    expect(out).toMatchObject({ kind: "rewritten", pathAndQuery: "/api/chat.postMessage" });
    expect(out.kind === "rewritten" && out.body?.toString()).toBe(`{"token":"${SECRET}"}`);
  });

  it("does not make a resolver for a body without a marker", () => {
    let asked = 0;
    const out = rewriteCredentials(post('{"a":1}', "application/json"), () => {
      asked++;
      return resolver("value");
    });
    expect(out).toEqual({ kind: "unchanged" });
    expect(asked).toBe(0);
  });

  it("answers 403 credential_endpoint_mismatch for a body placeholder bound elsewhere", () => {
    const out = rewriteCredentials(post(`{"token":"${P}"}`, "application/json"), () => resolver("mismatch"));
    expect(out).toMatchObject({ kind: "refused", status: 403, code: "credential_endpoint_mismatch" });
  });

  it("answers 500 credential_unavailable for one that does not resolve, on plain HTTP too", () => {
    for (const tls of [false, true]) {
      const out = rewriteCredentials(post(`{"token":"${P}"}`, "application/json", tls), () =>
        resolver("unavailable"),
      );
      expect(out).toMatchObject({ kind: "refused", status: 500, code: "credential_unavailable" });
      expect(out.kind === "refused" && out.message).toMatch(
        /placeholder for SLACK_TOKEN in the request's request_body .* nothing holds SLACK_TOKEN/,
      );
      expect(JSON.stringify(out)).not.toContain(SECRET);
    }
  });

  it("drops a body upstream would not forward, with the reason", () => {
    const out = rewriteCredentials(post(P, "application/octet-stream"), () => resolver("value"));
    expect(out).toMatchObject({ kind: "dropped", reason: expect.stringMatching(/only application\/json/) });
  });
});
