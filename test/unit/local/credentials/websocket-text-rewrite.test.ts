import { describe, expect, it } from "vitest";
import type { PlaceholderResolver } from "../../../../src/local/credentials/credential-rewrite.js";
import { placeholderFor } from "../../../../src/local/credentials/placeholders.js";
import {
  rewriteWebSocketText,
  websocketTextRewriter,
} from "../../../../src/local/credentials/websocket-text-rewrite.js";

/**
 * A websocket text message's placeholders, resolved as upstream's rewrite_websocket_text_placeholders
 * does: anywhere in the text, every one or none.
 */

const SECRET = "sk-live-0123456789";
const P = placeholderFor("API_KEY", 3n);

const resolver: PlaceholderResolver = (placeholder) => {
  if (placeholder.key === "API_KEY" && placeholder.form === "revisioned")
    return { kind: "value", value: SECRET };
  if (placeholder.key === "ELSEWHERE") return { kind: "mismatch" };
  if (placeholder.key === "LOOP") return { kind: "value", value: "openshell:resolve:env:v1_X" };
  return { kind: "unavailable", why: `no provider gives ${placeholder.key}` };
};

describe("rewriteWebSocketText", () => {
  it("replaces every placeholder in the text, adjacent and beside non-ASCII text", () => {
    const out = rewriteWebSocketText(`{"k":"${P}","é":"${P}${P}"}`, () => resolver);
    expect(out).toEqual({ kind: "text", text: `{"k":"${SECRET}","é":"${SECRET}${SECRET}"}`, replaced: 3 });
  });

  it("leaves text without a marker alone and never asks for a resolver", () => {
    const out = rewriteWebSocketText('{"type":"ping"}', () => {
      throw new Error("resolver asked for");
    });
    expect(out).toEqual({ kind: "text", text: '{"type":"ping"}', replaced: 0 });
  });

  it("refuses the whole message for a credential bound elsewhere (mismatch)", () => {
    const out = rewriteWebSocketText(`${P} ${placeholderFor("ELSEWHERE", 3n)}`, () => resolver);
    expect(out).toMatchObject({ kind: "refused", mismatch: true });
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it("refuses an unknown credential, saying which and why", () => {
    const out = rewriteWebSocketText(`x ${placeholderFor("NOPE", 3n)}`, () => resolver);
    expect(out).toMatchObject({ kind: "refused", mismatch: false });
    expect(out.kind === "refused" && out.why).toContain(
      "NOPE in a websocket message could not be resolved: no provider gives NOPE",
    );
  });

  it("refuses a malformed placeholder and a marker left once resolved", () => {
    expect(rewriteWebSocketText("openshell:resolve:env:", () => resolver)).toMatchObject({ kind: "refused" });
    expect(rewriteWebSocketText(placeholderFor("LOOP", 3n), () => resolver)).toMatchObject({
      kind: "refused",
    });
  });

  it("matches bindings against the upgrade's path without its query, placeholders redacted, once per message", () => {
    const paths: string[] = [];
    const rewrite = websocketTextRewriter(`/ws/${encodeURIComponent(P)}/feed?token=${P}`, (path) => {
      paths.push(path);
      return resolver;
    });
    expect(rewrite("no marker")).toEqual({ kind: "text", text: "no marker", replaced: 0 });
    expect(rewrite(P)).toEqual({ kind: "text", text: SECRET, replaced: 1 });
    expect(rewrite(`${P}!`)).toEqual({ kind: "text", text: `${SECRET}!`, replaced: 1 });
    expect(paths).toEqual(["/ws/[CREDENTIAL]/feed", "/ws/[CREDENTIAL]/feed"]);
  });
});
